/**
 * What watch mode must watch for a recipe, and which file events matter. Watched: the recipe
 * file, each local source file, and for each glob the folder its static prefix names (deeper
 * only when the pattern goes deeper), so a new file is a new instance and a removed one drops
 * its nodes. Never a reason to re-run: what runs themselves write (outputs, `save:` copies,
 * the lock, the cache), or a file no pattern matches — otherwise a run could trigger itself; the
 * lock is told all the same, for the watcher to see it replaced from outside (`lock`).
 * Sources that do not exist yet are watched too: a recipe that fails to load still names them
 * ({@link draftWatchTargets}), and a folder that is missing is watched from its nearest
 * existing ancestor (src/watch/survey-roots.ts looks on disk) until it appears. Pure: no I/O.
 */
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { makeDraft } from './draft.js';
import { classifySource } from './sources/classify.js';
import { expandBraces, GlobPatternError, matchSegments, splitPattern, type Segment } from './sources/glob-pattern.js';
import { nfc } from './sources/unicode-form.js';
import { starTemplate, templateMatcher } from '../util/path-template.js';
import type { Recipe } from './types.js';
import { sourceFiles } from './source-files.js';
import { parseRecipeYaml } from './yaml/parse.js';

interface GlobTarget {
  /** The pattern's static prefix: the folder to watch. */
  readonly base: string;
  /** Whether matches can lie below `base`'s direct children. */
  readonly recursive: boolean;
  readonly rest: readonly Segment[];
}

export interface WatchTargets {
  /** The recipe and every local source file (absolute). */
  readonly files: readonly string[];
  readonly globs: readonly GlobTarget[];
  /** Folders (and their contents) and path prefixes runs write to. */
  readonly excluded: readonly string[];
  /** `save:` templates as patterns (placeholders match any name). */
  readonly savePatterns: readonly ((path: string) => boolean)[];
  /**
   * The local source files the latest load found (none when it failed): a file in a folder
   * that just appeared (or was made again) is a change unless it is one of these.
   */
  readonly loaded: readonly string[];
  /**
   * The lock file: told, though runs write it, so that its replacement from outside (a git
   * checkout of it) is seen; the watcher tells that from the session's own writes (watch/lock-seen.ts).
   */
  readonly lock?: string | undefined;
}

/** A folder to hand to the file watcher. */
export interface WatchRoot {
  readonly path: string;
  readonly recursive: boolean;
}

export interface WatchTargetOptions {
  /** The cache dir in use (outside `.kontext` when `--cache-dir` says so). */
  readonly cacheDir?: string | undefined;
  /** The lock file: it and its `.lck` are written by runs. */
  readonly lockPath?: string | undefined;
}

export function watchTargets(recipe: Recipe, options: WatchTargetOptions = {}): WatchTargets {
  const files = new Set<string>([recipe.file]);
  const globs: GlobTarget[] = [];
  const loaded = sourceFiles(recipe.sources);
  for (const source of recipe.sources) {
    if (source.kind === 'file') for (const i of source.instances) if (i.path) files.add(i.path);
    if (source.kind === 'glob') for (const g of globTargets(source.spec, recipe.dir)) globs.push(g);
  }
  const excluded = [
    recipe.outDir,
    ...(options.cacheDir ? [options.cacheDir] : []),
    ...(options.lockPath ? [options.lockPath] : []),
  ];
  const savePatterns = recipe.passes.flatMap((p) => (p.save ? [templatePattern(p.save)] : []));
  const lock = options.lockPath;
  return { files: [...files].filter((f) => isAbsolute(f)), globs, excluded, savePatterns, loaded, lock };
}

function globTargets(spec: string, dir: string): GlobTarget[] {
  let alternatives: ReturnType<typeof splitPattern>[];
  try {
    alternatives = expandBraces(spec).map(splitPattern);
  } catch (e) {
    if (e instanceof GlobPatternError) return []; // the recipe's load says what is wrong with it
    throw e;
  }
  return alternatives.map(({ base, rest, absolute }) => {
    const baseDir = absolute ? join('/', ...base) : resolve(dir, ...base);
    return { base: baseDir, recursive: rest.length > 1 || rest.some((s) => s.kind === 'globstar'), rest };
  });
}

/**
 * What a recipe that does not load names, read leniently from its text: the recipe, its local
 * sources as written (a missing file or a glob with no match is watched, so creating it starts
 * a cycle), and what runs would write. `null` when the YAML itself does not parse.
 */
export function draftWatchTargets(file: string, text: string): WatchTargets | null {
  const yaml = parseRecipeYaml(text);
  if (!yaml.ok) return null;
  const draft = makeDraft(yaml.parsed.data);
  const dir = dirname(file);
  const files = new Set<string>([file]);
  const globs: GlobTarget[] = [];
  for (const { spec } of draft.sources) {
    const kind = spec ? classifySource(spec).kind : 'invalid';
    if (spec && kind === 'file') files.add(resolve(dir, spec));
    if (spec && kind === 'glob') for (const g of tryGlobTargets(spec, dir)) globs.push(g);
  }
  const saves = [draft.defaults.save, ...draft.passes.map((p) => p.save)].flatMap((s) =>
    s ? [templatePattern(resolve(dir, s))] : [],
  );
  const lockPath = join(dir, `${basename(file, extname(file))}.lock.json`);
  return {
    files: [...files],
    globs,
    excluded: [resolve(dir, draft.out ?? 'out'), lockPath],
    savePatterns: saves,
    loaded: [],
  };
}

/** A bad pattern is the recipe's error to report; here it just watches nothing. */
function tryGlobTargets(spec: string, dir: string): GlobTarget[] {
  try {
    return globTargets(spec, dir);
  } catch {
    return [];
  }
}

/**
 * The last good recipe's targets and, when the latest load failed, what its text names too
 * (`draft`; `null` when the YAML itself does not parse). Nothing counts as loaded then, and the
 * lock is not told (the next valid load plans from it as it is then).
 */
export function mergeTargets(
  good: WatchTargets,
  draft: WatchTargets | null,
  latestFailed = draft !== null,
): WatchTargets {
  const b = draft ?? { files: [], globs: [], excluded: [], savePatterns: [], loaded: [] };
  if (!latestFailed) return good;
  return {
    files: [...new Set([...good.files, ...b.files])],
    globs: [...good.globs, ...b.globs],
    excluded: [...new Set([...good.excluded, ...b.excluded])],
    savePatterns: [...good.savePatterns, ...b.savePatterns],
    loaded: [],
  };
}

/** Before the first valid load: only the recipe file itself. */
export function recipeOnlyTargets(file: string): WatchTargets {
  return { files: [file], globs: [], excluded: [], savePatterns: [], loaded: [] };
}

/** Folders to watch: each file's folder (its direct children only) and each glob base. */
function watchRoots(t: WatchTargets): WatchRoot[] {
  const roots = new Map<string, boolean>();
  for (const f of t.files) roots.set(dirname(f), roots.get(dirname(f)) ?? false);
  for (const g of t.globs) roots.set(g.base, (roots.get(g.base) ?? false) || g.recursive);
  return [...roots].map(([path, recursive]) => ({ path, recursive }));
}

/** A folder handed to the file watcher, with the identity (device, inode, birth time) it had when looked at. */
export interface WatchFilter {
  readonly roots: readonly WatchRoot[];
  /**
   * Whether a path the watcher reports (or is about to descend into) matters. `kind` is
   * unknown before the watcher has stat'ed the path: a folder that could hold matches stays in.
   */
  relevant(path: string, kind: 'file' | 'dir' | undefined): boolean;
}

export function watchFilter(t: WatchTargets): WatchFilter {
  const roots = watchRoots(t);
  // Compared composed (NFC): a folder the recipe writes in one Unicode form may be on disk in the
  // other (macOS NFD), and the watcher reports it as it is on disk (sources/unicode-form.ts).
  const rootList = roots.map((r) => nfc(r.path));
  const rootPaths = new Set(rootList);
  const files = new Set(t.files.map(nfc));
  const globs = t.globs.map((g) => ({ ...g, base: nfc(g.base) }));
  const excluded = t.excluded.map(nfc);
  const lock = t.lock === undefined ? null : nfc(t.lock);
  return {
    roots,
    relevant(asReported, kind) {
      const path = nfc(asReported);
      if (rootPaths.has(path)) return true;
      if (path === lock) return kind !== 'dir';
      if (isExcluded(excluded, t.savePatterns, asReported)) return false;
      if (files.has(path)) return kind !== 'dir';
      if (matchesGlob(globs, path, kind)) return true;
      // An ancestor of a root that does not exist yet: the watcher waits there for it to appear.
      return kind !== 'file' && rootList.some((r) => isInside(r, path));
    },
  };
}

function matchesGlob(globs: readonly GlobTarget[], path: string, kind: 'file' | 'dir' | undefined): boolean {
  return globs.some((g) => {
    if (!isInside(path, g.base)) return false;
    const parts = relative(g.base, path).split(sep);
    // Hidden folders are never descended into by the glob expander either.
    if (kind !== 'file' && g.recursive && !parts.some((p) => p.startsWith('.'))) return true;
    return kind !== 'dir' && matchSegments(g.rest, parts);
  });
}

/** `excluded` composed (NFC); `path` as reported: a `save:` pattern (as written) is tried on it in each form. */
function isExcluded(
  excluded: readonly string[],
  savePatterns: readonly ((path: string) => boolean)[],
  path: string,
): boolean {
  if (path.split(sep).includes('.kontext')) return true;
  const composed = nfc(path);
  if (excluded.some((e) => composed === e || composed.startsWith(e + sep) || composed.startsWith(`${e}.`))) return true;
  const forms = composed === path && /^[\x00-\x7f]*$/.test(path) ? [path] : [path, composed, path.normalize('NFD')];
  return savePatterns.some((matches) => forms.some((p) => matches(p)));
}

/** Whether `path` is `dir` or inside it. */
export function isInside(path: string, dir: string): boolean {
  return path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/** `out/{source}-{pass}.{ext}` → a matcher where each placeholder matches one name's worth. */
function templatePattern(template: string): (path: string) => boolean {
  return templateMatcher(starTemplate(template, /\{(?:source|pass|variant|ext)\}/));
}
