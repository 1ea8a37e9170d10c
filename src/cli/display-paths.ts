/**
 * Events carry absolute paths (machines want them: `--json` keeps them). People read paths
 * relative to where they stand, so the human reporters get them relative to the cwd. A path may
 * name a file kontext only found on disk (a file in `<out>/` a clone brought, a stray lock), so
 * what it holds that a terminal would obey or reorder is written out (`\x1b`, `\u{202E}`), a line
 * break or tab too (`\x0a`): a file named `x\nFORGED: ok.jpg` prints no line of its own.
 */
import { isAbsolute, relative } from 'node:path';
import { escapeName, type RunEvent } from '../index.js';

/** A path segment that `relative` would normalize away (`.`, `..`, an empty one), or a trailing slash. */
const UNNORMALIZED = /(^|\/)\.{0,2}(\/|$)/;

export function displayPath(path: string, cwd: string): string {
  return escapeName(shortPath(path, cwd));
}

function shortPath(path: string, cwd: string): string {
  if (!isAbsolute(path)) return path;
  // Outputs under the cwd (every node of a run): the rest of the path, without relative()'s two
  // resolves (a tenth of a 10,000-node no-op run's reporting).
  if (path.startsWith(cwd) && path[cwd.length] === '/' && cwd.length > 1) {
    const rest = path.slice(cwd.length + 1);
    if (!UNNORMALIZED.test(rest)) return rest;
  }
  const rel = relative(cwd, path);
  if (rel === '') return '.';
  const upLevels = rel.split('/').filter((s) => s === '..').length;
  return upLevels > 2 ? path : rel;
}

export function relativizeEvent(e: RunEvent, cwd: string): RunEvent {
  switch (e.type) {
    case 'node-done':
    case 'node-cached':
      return { ...e, output: displayPath(e.output, cwd) };
    case 'run-summary':
      return { ...e, recipe: displayPath(e.recipe, cwd), out_dir: displayPath(e.out_dir, cwd) };
    case 'run-start':
      return { ...e, recipe: displayPath(e.recipe, cwd) };
    case 'watch-error':
    case 'run-error':
      return { ...e, recipe: displayPath(e.recipe, cwd), problems: e.problems.map((p) => relativeProblem(p, cwd)) };
    case 'watch-cycle':
      return { ...e, recipe: displayPath(e.recipe, cwd), changed: e.changed.map((c) => displayPath(c, cwd)) };
    default:
      return e;
  }
}

/**
 * A problem's `file:line:col: ` prefix with the file as a plain run prints it (relative to the
 * cwd); the rest as it is (the reporter escapes what it prints).
 */
function relativeProblem(problem: string, cwd: string): string {
  const file = /^(.+?):\d+:\d+: /.exec(problem)?.[1];
  return file === undefined || !isAbsolute(file) ? problem : shortPath(file, cwd) + problem.slice(file.length);
}
