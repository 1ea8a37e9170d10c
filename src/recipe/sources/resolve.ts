/**
 * Sources → concrete inputs, with the file-system checks: a local file must exist (exit 66
 * otherwise), a glob must match at least one file (66), a URL must be https. Files (after
 * following symlinks) outside
 * the project root are refused, and so is a file that is not an image (source-guard.ts). All
 * sources are checked in parallel.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ExitCode, type Problem } from '../../errors.js';
import { closest } from '../../util/did-you-mean.js';
import { escapeName, firstHiddenChar } from '../../util/hidden-chars.js';
import type { Draft } from '../draft.js';
import type { Report } from '../report.js';
import type { Source } from '../types.js';
import { classifySource } from './classify.js';
import { rootFallbackNote } from '../project-root.js';
import { expandGlob, GlobTooLargeError } from './glob.js';
import { GlobPatternError } from './glob-pattern.js';
import { escapedGlob, literalSpelling, namesFile, noMatchNote } from './glob-literal.js';
import { instanceNames } from './instance-names.js';
import { inOtherUnicodeForm } from './unicode-form.js';
import { foldSameFiles } from './same-file.js';
import { extensionCaseMisses } from './extension-case.js';
import { checkSourceFiles, globStartOutside, sourceVerdictText } from './source-guard.js';

/** Where local sources may really live: see source-guard.ts. */
export interface SourceRoots {
  readonly projectRoot: string;
  /** Absolute; each as written and as realpath. */
  readonly roots: readonly string[];
  /** The user config whose `allowed_source_roots` add to them, as hints name it (userConfigName). */
  readonly configFile: string;
}

export interface SourceCheck {
  /** Resolvable sources, in recipe order (without `location`; the caller adds it). */
  readonly sources: readonly Source[];
  readonly problems: readonly Problem[];
}

/** A source (with warnings: paths folded, see same-file.ts; files left out, extension-case.ts), or why not. */
type One = { source: Source; warnings?: readonly Problem[] } | { problem: Problem };

/**
 * `exclude`: folders globs never reach into (outputs, cache); `excludeFile`: files they never
 * return (save targets).
 */
export async function resolveSources(
  draft: Draft,
  dir: string,
  report: Report,
  exclude: ReadonlySet<string>,
  allowed: SourceRoots,
  excludeFile: (file: string) => boolean = () => false,
): Promise<SourceCheck> {
  const results = await Promise.all(
    // Non-strings and empty strings are the schema's to report; a spec holding a hidden character
    // is rules/hidden-text.ts's, and not looked for (its "not found", exit 66, would bury the reason).
    draft.sources.map(async (s) => {
      if (s.spec === undefined || s.spec === '' || firstHiddenChar(s.spec, 'name') !== null) return undefined;
      const outside = await escapingGlob(s.name, s.spec, dir, report, allowed);
      if (outside) return outside;
      return guarded(await resolveOne(s.name, s.spec, dir, report, { exclude, excludeFile }), dir, report, allowed);
    }),
  );
  const sources: Source[] = [];
  const problems: Problem[] = [];
  for (const r of results) {
    if (r === undefined) continue;
    if ('problem' in r) problems.push(r.problem);
    else {
      sources.push(r.source);
      problems.push(...(r.warnings ?? []));
    }
  }
  return { sources, problems };
}

/** A glob whose listing would start outside the allowed roots is refused before it is walked. */
async function escapingGlob(
  name: string,
  spec: string,
  dir: string,
  report: Report,
  allowed: SourceRoots,
): Promise<One | undefined> {
  if (classifySource(spec).kind !== 'glob') return undefined;
  const start = await globStartOutside(spec, dir, allowed.roots);
  if (start === undefined) return undefined;
  return {
    problem: report({
      code: 'source-outside-root',
      path: ['sources', name],
      message:
        `glob "${spec}" starts at ${start}, outside the project root ${allowed.projectRoot}; ` +
        'kontext uploads sources, so they must live in the project (the folder was not read)',
      hint:
        'start the glob inside the project, or add the folder to allowed_source_roots ' +
        `in your user config (${allowed.configFile})${rootFallbackNote(dir)}`,
    }),
  };
}

/**
 * A local source with a file that is not an image inside the allowed roots becomes a problem (the
 * first such file); a glob reaching one file by several paths keeps one instance of it.
 */
async function guarded(one: One, dir: string, report: Report, allowed: SourceRoots): Promise<One> {
  if (!('source' in one) || one.source.kind === 'url') return one;
  const files = one.source.instances.flatMap((i) => (i.path === undefined ? [] : [i.path]));
  const verdicts = await checkSourceFiles(files, allowed.roots);
  const bad = verdicts.findIndex((v) => !v.ok);
  const verdict = verdicts[bad];
  if (verdict === undefined) {
    if (one.source.kind !== 'glob') return one;
    const folded = foldSameFiles(
      one.source,
      verdicts.map((v) => (v.ok ? v.real : '')),
      dir,
      report,
    );
    return { source: folded.source, warnings: [...(one.warnings ?? []), ...(folded.warning ? [folded.warning] : [])] };
  }
  if (verdict.ok) return one;
  const file = files[bad] as string;
  // A file a glob found may be named anything: `x\nFORGED: ok.jpg` must not print a line of its own.
  const shown = escapeName(one.source.kind === 'file' ? one.source.spec : path.relative(dir, file) || file);
  const text = sourceVerdictText(verdict, shown, allowed, dir);
  const more = verdicts.filter((v) => !v.ok).length - 1;
  return {
    problem: report({
      code: verdict.code,
      path: ['sources', one.source.name],
      message:
        more > 0 ? `${text.message} (and ${more} more ${more === 1 ? 'file' : 'files'} of this glob)` : text.message,
      hint: text.hint,
      ...(verdict.code === 'source-unreadable' && { exitCode: ExitCode.NO_INPUT }),
    }),
  };
}

interface Exclusions {
  readonly exclude: ReadonlySet<string>;
  readonly excludeFile: (file: string) => boolean;
}

async function resolveOne(name: string, spec: string, dir: string, report: Report, ex: Exclusions): Promise<One> {
  const at = ['sources', name] as const;
  const kind = classifySource(spec);
  switch (kind.kind) {
    case 'invalid':
      return { problem: report({ code: kind.code, path: at, message: kind.message, hint: kind.hint }) };
    case 'url':
      return { source: { name, kind: 'url', spec, instances: [{ instance: null, url: kind.url }] } };
    case 'glob':
      return resolveGlob(name, spec, dir, report, ex);
    case 'file':
      return resolveFile(name, spec, dir, report);
  }
}

async function resolveGlob(name: string, spec: string, dir: string, report: Report, ex: Exclusions): Promise<One> {
  const at = ['sources', name] as const;
  // `in/photo[1].jpg` names a file, and as a glob matches `in/photo1.jpg`: which one is meant is not known.
  if (await namesFile(spec, dir)) {
    return {
      problem: report({
        code: 'glob-names-file',
        path: at,
        offset: spec.search(/[*?[{]/),
        message:
          `"${spec}" names a file, but its "${spec.match(/[*?[{]/)?.[0]}" makes it a glob, ` +
          'which may read other files',
        hint: literalSpelling(spec),
      }),
    };
  }
  let files: string[];
  const unlisted: { dir: string; code: string }[] = [];
  try {
    files = await expandGlob(spec, dir, ex.exclude, ex.excludeFile, undefined, (d, code) =>
      unlisted.push({ dir: d, code }),
    );
  } catch (e) {
    if (e instanceof GlobTooLargeError) {
      return {
        problem: report({
          code: 'plan-too-large',
          path: at,
          message: `glob "${spec}" ${e.message}`,
          hint: e.hint,
        }),
      };
    }
    if (!(e instanceof GlobPatternError)) throw e;
    return { problem: report({ code: 'glob-pattern', path: at, message: `bad glob "${spec}": ${e.message}` }) };
  }
  if (files.length === 0) {
    // Matches that are all `save:` targets: the files are there, the recipe is what is wrong.
    const saved = (await expandGlob(spec, dir, ex.exclude)).length;
    if (saved > 0) {
      return {
        problem: report({
          code: 'glob-no-match',
          path: at,
          message: `every file "${spec}" matches is one a save: path writes (${saved} left out)`,
          hint: "a recipe's outputs never become its sources; save outside the glob, or narrow the glob",
        }),
      };
    }
    return {
      problem: report({
        code: 'glob-no-match',
        path: at,
        message: `no files match "${spec}"${unlisted.length === 0 ? '' : `; ${unlistedWords(unlisted, dir)}`}`,
        hint: `searched from ${escapeName(dir)}${noMatchNote(spec)}`,
        exitCode: ExitCode.NO_INPUT,
      }),
    };
  }
  const names = instanceNames(files);
  const instances = files.map((file, i) => ({ instance: names[i] ?? null, path: file }));
  const missed = await extensionCaseMisses(files);
  const warnings = missed.length === 0 ? [] : [caseWarning(missed, { name, spec, dir }, report)];
  if (unlisted.length > 0)
    warnings.push(
      report({
        code: 'glob-unlisted-folders',
        path: at,
        severity: 'warning',
        message: `glob "${spec}" ${unlistedWords(unlisted, dir)}: files there are not among its matches`,
        hint: 'let this user read those folders, or shorten their paths (a path is at most 4096 bytes)',
      }),
    );
  return { source: { name, kind: 'glob', spec, instances }, warnings };
}

/** `could not list 2 folders: "in/private" (EACCES), …` */
function unlistedWords(unlisted: readonly { dir: string; code: string }[], dir: string): string {
  const shown = unlisted
    .slice(0, 3)
    .map((u) => `${escapeName(JSON.stringify(cut(path.relative(dir, u.dir))))} (${u.code})`);
  const more = unlisted.length > 3 ? ` and ${unlisted.length - 3} more` : '';
  const count = unlisted.length === 1 ? 'a folder' : `${unlisted.length} folders`;
  return `could not list ${count}: ${shown.join(', ')}${more}`;
}

/** A long path's first and last 40 characters. */
function cut(p: string): string {
  return p.length <= 100 ? p : `${p.slice(0, 40)}…${p.slice(-40)}`;
}

/** Files a glob left out beside its matches by an extension's case alone (extension-case.ts): a warning. */
function caseWarning(missed: readonly string[], glob: { name: string; spec: string; dir: string }, report: Report) {
  const shown = missed.slice(0, 3).map((f) => escapeName(JSON.stringify(path.relative(glob.dir, f))));
  const more = missed.length > 3 ? ` (and ${missed.length - 3} more)` : '';
  return report({
    code: 'glob-extension-case',
    path: ['sources', glob.name],
    severity: 'warning',
    message:
      `glob "${glob.spec}" leaves out ${missed.length === 1 ? 'a file' : `${missed.length} files`} beside its ` +
      `matches whose extension differs from theirs only by case: ${shown.join(', ')}${more}`,
    hint: 'globs are case-sensitive: write both cases to take them too (*.{jpg,JPG}), or rename them',
  });
}

/** What a source or `edit --image` that is a device, FIFO or socket (a link to `/dev/urandom`) is said to be. */
export const NOT_REGULAR_FILE = 'not a regular file (a device, FIFO or socket)';

async function resolveFile(name: string, spec: string, dir: string, report: Report): Promise<One> {
  const at = ['sources', name] as const;
  const written = path.resolve(dir, spec);
  // The same name in another Unicode form (macOS NFD vs NFC): the file the recipe means (unicode-form.ts).
  const file = (await inOtherUnicodeForm(written)) ?? written;
  try {
    const info = await stat(file);
    if (info.isFile()) return { source: { name, kind: 'file', spec, instances: [{ instance: null, path: file }] } };
    const hint = info.isDirectory()
      ? `to use every image in it, write a glob such as ${path.posix.join(spec, '*.jpg')}`
      : undefined;
    return {
      problem: report({
        code: 'source-not-file',
        path: at,
        message: info.isDirectory() ? `not a file: "${spec}"` : `${NOT_REGULAR_FILE}: "${spec}"`,
        hint,
        exitCode: ExitCode.NO_INPUT,
      }),
    };
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR';
    const message = missing
      ? `file not found: "${spec}"`
      : `cannot read "${spec}": ${(e as NodeJS.ErrnoException).code ?? 'error'}`;
    const hint = (await nearbyName(file, spec)) ?? `looked for ${file}; relative paths start at the recipe's folder`;
    return { problem: report({ code: 'source-missing', path: at, message, hint, exitCode: ExitCode.NO_INPUT }) };
  }
}

/** `did you mean "assets/portrait.jpeg"?` when a sibling file has a close name. */
async function nearbyName(file: string, spec: string): Promise<string | undefined> {
  const names = await readdir(path.dirname(file)).catch(() => [] as string[]);
  const match = closest(path.basename(file), names);
  if (match === undefined) return undefined;
  const folder = spec.slice(0, spec.length - path.basename(spec).length);
  // A name holding `\` or a glob character is read only as a glob with them escaped (`?` for `\`).
  if (/[\\*?[\]{}]/.test(match)) return `did you mean "${escapeName(folder + escapedGlob(match))}"? (a glob)`;
  return `did you mean "${escapeName(folder + match)}"?`;
}
