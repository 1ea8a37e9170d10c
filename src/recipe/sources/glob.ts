/**
 * Expand a glob against the file system. Only folders the pattern can reach are read: the
 * static prefix is joined directly, literal segments are joined without listing, and each
 * folder is listed at most once. `**` does not follow symlinked folders and skips hidden ones;
 * `*` follows a symlinked folder unless it leads back to a folder on its own route (a loop), and
 * no glob lists more than {@link MAX_GLOB_FOLDERS} folders. Names match in either Unicode form
 * (NFC, NFD), as macOS matches them.
 */
import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { expandBraces, GlobPatternError, segmentMatches, splitPattern, type Segment } from './glob-pattern.js';
import { inOtherUnicodeForm } from './unicode-form.js';

/** More matches than any recipe may plan (recipe/rules/plan-size.ts): the walk stops there. */
const MAX_GLOB_FILES = 50_000;

/**
 * More folders than a glob may list. A catalog of {@link MAX_GLOB_FILES} images one a folder is
 * inside it; symlinked folders that fan out (two links to the next folder, twenty levels deep: a
 * million paths to one folder) are not (review-ab 5).
 */
export const MAX_GLOB_FOLDERS = 100_000;

/** The glob matched more than {@link MAX_GLOB_FILES} files, or listed more than its folder limit. */
export class GlobTooLargeError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/**
 * Absolute paths of the files matching `pattern` (relative to `cwd`), sorted, unique.
 * `exclude`: folders a wildcard never descends into (the run's own outputs and cache, so a
 * `**\/*.png` glob does not pick up last run's results); `node_modules` is skipped by `**` too.
 * `excludeFile`: files never returned (the recipe's `save:` targets).
 */
export async function expandGlob(
  pattern: string,
  cwd: string,
  exclude: ReadonlySet<string> = new Set(),
  excludeFile: (file: string) => boolean = () => false,
  maxFolders = MAX_GLOB_FOLDERS,
  onUnlisted: (dir: string, code: string) => void = () => undefined,
): Promise<string[]> {
  const found = new Set<string>();
  const listings = new Map<string, Promise<Dirent[]>>();
  const stop = { max: MAX_GLOB_FILES, stopped: false, folderLimit: false };
  const list = (dir: string): Promise<Dirent[]> => {
    let p = listings.get(dir);
    if (!p) {
      if (listings.size >= maxFolders) {
        stop.stopped = stop.folderLimit = true;
        return Promise.resolve([]);
      }
      // A folder gone meanwhile, or a file where a folder was, is no folder: nothing to say. One that
      // cannot be listed (no permission, a path past PATH_MAX) is told: its files are not matched.
      p = readdir(dir, { withFileTypes: true }).catch((e: unknown) => {
        const code = (e as { code?: unknown }).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR') onUnlisted(dir, typeof code === 'string' ? code : 'error');
        return [];
      });
      listings.set(dir, p);
    }
    return p;
  };
  const alternatives = expandBraces(pattern).map(splitPattern);
  // Checked before any folder is listed (walk-p: `**/../../x/*` walked up to the whole disk).
  if (alternatives.some(({ rest }) => rest.some((s) => s.kind === 'literal' && s.name === '..')))
    throw new GlobPatternError(
      '".." after a wildcard would climb out of the folders it lists; put every ".." before the first wildcard',
    );
  for (const { base, rest, absolute } of alternatives) {
    const written = absolute ? path.resolve('/', ...base) : path.resolve(cwd, ...base);
    // Its folders on disk in another Unicode form than written (macOS NFD vs NFC: unicode-form.ts).
    const root = (await inOtherUnicodeForm(written)) ?? written;
    const route: Route = { real: await realpath(root).catch(() => root), up: null };
    await walk(root, rest, 0, { list, found, viaGlobstar: false, exclude, stop, visited: new Set() }, route);
    if (stop.folderLimit)
      throw new GlobTooLargeError(
        `lists more than ${maxFolders} folders (the rest were not read)`,
        'symlinked folders that lead to one another multiply the paths a wildcard follows; narrow the glob',
      );
    if (stop.stopped || found.size > stop.max)
      throw new GlobTooLargeError(
        `matches more than ${MAX_GLOB_FILES} files (at most ${MAX_GLOB_FILES} per recipe; the rest was not read)`,
        'the lock file keeps one entry per node; split the files over several recipes (or narrow the glob)',
      );
  }
  return sortPaths([...found].filter((f) => !excludeFile(f)));
}

/**
 * In UTF-16 code-unit order (stable across locales, like `<`) of the NFC form, so a name macOS
 * hands back decomposed sorts where Linux's composed one does; ties (both forms side by side on
 * one disk) by the name as it is.
 */
function sortPaths(files: string[]): string[] {
  const keyed = files.map((f) => ({ f, k: f.normalize('NFC') }));
  keyed.sort((a, b) => order(a.k, b.k) || order(a.f, b.f));
  return keyed.map((e) => e.f);
}

function order(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

interface WalkState {
  readonly list: (dir: string) => Promise<Dirent[]>;
  readonly found: Set<string>;
  readonly viaGlobstar: boolean;
  readonly exclude: ReadonlySet<string>;
  /** Set once `found` holds more than `max` files, or the folder limit is hit: every walk still running returns. */
  readonly stop: { readonly max: number; stopped: boolean };
  /**
   * A folder walked from segment `i` (and whether by `**`) is walked once: `**\/*\/**\/*` reached
   * each folder by every way of spreading its path over the stars (walk-t: exponential).
   */
  readonly visited: Set<string>;
}

/**
 * The real paths of the folders a walk went through to reach the one it is in, innermost first.
 * A folder whose real path is on its own route is a loop (`l -> .`, or `a/l -> ../b` with
 * `b/l -> ../a`) and is not entered. Keyed on the route, not on every folder seen, so which of two
 * links to one folder is followed never depends on timing (instance names stay the same).
 */
interface Route {
  readonly real: string;
  readonly up: Route | null;
}

function onRoute(real: string, route: Route): boolean {
  for (let r: Route | null = route; r !== null; r = r.up) if (r.real === real) return true;
  return false;
}

/** `child` of the folder `route` ends in, or `null` when entering it would close a loop. */
async function enter(child: string, e: Dirent, route: Route): Promise<Route | null> {
  const real = e.isSymbolicLink() ? await realpath(child).catch(() => null) : path.join(route.real, e.name);
  return real === null || onRoute(real, route) ? null : { real, up: route };
}

async function walk(dir: string, segs: readonly Segment[], i: number, st: WalkState, route: Route): Promise<void> {
  if (st.found.size > st.stop.max) st.stop.stopped = true;
  if (st.stop.stopped) return;
  const key = `${i}:${st.viaGlobstar ? 'g' : ''}:${dir}`;
  if (st.visited.has(key)) return;
  st.visited.add(key);
  const seg = segs[i];
  if (seg === undefined) {
    // The pattern had no magic at all (possible after brace expansion): a plain path.
    if (await isFile(dir)) st.found.add(dir);
    return;
  }
  if (seg.kind === 'literal' && i < segs.length - 1) {
    // A folder below a wildcard may be on disk in the other Unicode form too (unicode-form.ts).
    const next = (await inOtherUnicodeForm(path.join(dir, seg.name))) ?? path.join(dir, seg.name);
    // A literal name may be a link too: its real path goes on the route. It is never cut, even back
    // onto the route (`*/current/*.jpg`, `current -> .`): one name cannot multiply routes (review-ac 1).
    const real = await realpath(next).catch(() => next);
    return walk(next, segs, i + 1, st, { real, up: route });
  }
  if (seg.kind === 'globstar') {
    await walk(dir, segs, i + 1, st, route);
    const entries = await st.list(dir);
    const subdirs = entries.filter(
      (e) =>
        e.isDirectory() &&
        !e.name.startsWith('.') &&
        e.name !== 'node_modules' &&
        !st.exclude.has(path.join(dir, e.name)),
    );
    const globstar = { ...st, viaGlobstar: true };
    await Promise.all(
      subdirs.map((e) =>
        walk(path.join(dir, e.name), segs, i, globstar, { real: path.join(route.real, e.name), up: route }),
      ),
    );
    return;
  }
  const last = i === segs.length - 1;
  const entries = await st.list(dir);
  const work: Promise<void>[] = [];
  for (const e of entries) {
    if (!segmentMatches(seg, e.name)) continue;
    const full = path.join(dir, e.name);
    if (last) work.push(addIfFile(e, full, st.found));
    else if (
      (e.isDirectory() || (e.isSymbolicLink() && !st.viaGlobstar)) &&
      !(seg.kind === 'pattern' && st.exclude.has(full))
    )
      work.push(enter(full, e, route).then((into) => (into === null ? undefined : walk(full, segs, i + 1, st, into))));
  }
  await Promise.all(work);
}

async function addIfFile(e: Dirent, full: string, found: Set<string>): Promise<void> {
  if (e.isFile() || (e.isSymbolicLink() && (await isFile(full)))) found.add(full);
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}
