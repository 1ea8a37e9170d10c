/**
 * What an output or `save:` copy may overwrite. Checked on where a write really lands (the
 * realpath of its deepest existing folder), because a recipe's `save: homelink/.bashrc` reads
 * harmless while `homelink` links out of the project. Never written, whatever the flags: a
 * `.git` folder, any `*.lock.json`, the recipe, its sources (a source overwritten by its own
 * output changes, so it re-runs and is paid for on every run), the cache dir. Outside the
 * project root only with `--allow-outside-root`.
 */
import { type Dirent, lstatSync, readdirSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import { ExitCode } from '../errors.js';
import { foldPath } from '../util/fold-path.js';
import { isWithin, realPathDeep, realPathDeepSync, withRealRoots } from '../util/real-path.js';
import { StoreError } from './errors.js';

export interface WriteGuard {
  /** The project root, as written and as realpath; `null`: writes may go anywhere (`--allow-outside-root`). */
  readonly roots: readonly string[] | null;
  /**
   * Realpaths (and paths as written) of files never overwritten: the recipe, its lock, its
   * sources (an edit's: its input image); folded (`foldPath`), each with what a refusal calls it.
   */
  readonly files: ReadonlyMap<string, string>;
  /** Folders never written into: the cache dir, as written and as realpath; folded (`foldPath`). */
  readonly dirs: readonly string[];
  /** What a refusal's hint says to do (a recipe's: change out: or save:). */
  readonly refusedHint?: string | undefined;
}

export interface WriteGuardInput {
  readonly projectRoot: string;
  readonly allowOutsideRoot: boolean;
  /** A path alone is "the recipe or one of its sources"; `what` names another file (an edit's input image). */
  readonly protectedFiles: readonly (string | { readonly path: string; readonly what: string })[];
  readonly cacheDir?: string | undefined;
  /** What a refusal's hint says to do, when not a recipe's out: and save: (an edit's -o). */
  readonly refusedHint?: string | undefined;
}

const RECIPE_FILES = 'the recipe or one of its sources';

/** A guard with only the rules that need no context (`.git`, `*.lock.json`). */
export const BASE_WRITE_GUARD: WriteGuard = { roots: null, files: new Map(), dirs: [] };

export async function buildWriteGuard(input: WriteGuardInput): Promise<WriteGuard> {
  const files = await Promise.all(
    input.protectedFiles.map(async (f) => {
      const { path, what } = typeof f === 'string' ? { path: f, what: RECIPE_FILES } : f;
      return [path, await realPathDeep(path)].map((p) => [foldPath(p), what] as const);
    }),
  );
  return {
    roots: input.allowOutsideRoot ? null : await withRealRoots([input.projectRoot]),
    files: new Map(files.flat().reverse()), // a file named twice keeps its first name (an edit's input image)
    dirs: input.cacheDir === undefined ? [] : (await withRealRoots([input.cacheDir])).map(foldPath),
    ...(input.refusedHint !== undefined && { refusedHint: input.refusedHint }),
  };
}

/** A `.git` segment anywhere in a path (a regex, not a split: a lock's every output is checked). */
const SEP = sep === '/' ? '/' : '[\\\\/]';
const GIT_SEGMENT = new RegExp(`(^|${SEP})\\.git(${SEP}|$)`, 'i');

/**
 * Why `real` (an absolute path whose folders are resolved) must not be written, or null. What is
 * protected is compared as a case-insensitive file system compares names (`foldPath`): on a Mac,
 * `.GIT/x`, `Recipe.Lock.json` or `ASSETS/photo.jpg` open the protected file. Project roots are
 * not folded: that would let writes out, not keep them off.
 */
function writeRefusal(real: string, guard: WriteGuard): string | null {
  if (GIT_SEGMENT.test(real)) return 'it is inside a .git folder';
  if (basename(real).toLowerCase().endsWith('.lock.json')) return 'it is a lock file';
  const folded = foldPath(real);
  const file = guard.files.get(folded);
  if (file !== undefined) return `it is ${file}`;
  if (guard.dirs.some((d) => isWithin(d, folded))) return 'it is inside the cache dir';
  if (guard.roots !== null && !guard.roots.some((r) => isWithin(r, real))) return 'it is outside the project root';
  return null;
}

/**
 * Where a file a lock entry names really is (its folders resolved; a link at the final name
 * followed too, since reading it follows the link) and why kontext must neither read nor write
 * it (`throughLink`: only because a link on disk leads there, the path as written being fine);
 * null when it is fine. `realDir` resolves folders (callers memoize it: many entries share one).
 * Synchronous: a lock's every entry is checked (1,000 for a 1,000-node recipe) and a promise per
 * entry cost more than the memoized calls.
 */
export function lockedFileRefusal(
  target: string,
  guard: WriteGuard,
  realDir: (dir: string) => string,
  isLink: (real: string) => boolean = isSymlink,
): { readonly real: string; readonly why: string; readonly throughLink: boolean } | null {
  const real = join(realDir(dirname(target)), basename(target));
  const why = writeRefusal(real, guard);
  // Refused only where a link on disk leads (the path as written is fine): the entry is not at fault.
  const throughLink = (): boolean => writeRefusal(target, guard) === null;
  if (why !== null) return { real, why, throughLink: throughLink() };
  if (!isLink(real)) return null;
  const linked = realPathDeepSync(real);
  const viaLink = writeRefusal(linked, guard);
  return viaLink === null ? null : { real: linked, why: viaLink, throughLink: throughLink() };
}

/** Whether `path` is a symlink itself (false when it is missing or cannot be read). */
function isSymlink(path: string): boolean {
  try {
    return lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink() === true;
  } catch {
    return false;
  }
}

/**
 * {@link isSymlink} for many files of few folders (a lock's outputs): one `readdir` per folder
 * gives every entry's type, instead of an lstat per file (10,000 of them for a 10,000-node lock).
 * A folder that cannot be listed, or a filesystem that reports no types, falls back to lstat.
 */
export function symlinkChecker(): (path: string) => boolean {
  const listings = new Map<string, Map<string, Dirent> | null>();
  return (path) => {
    const dir = dirname(path);
    let found = listings.get(dir);
    if (found === undefined) {
      try {
        found = new Map(readdirSync(dir, { withFileTypes: true }).map((d) => [d.name, d]));
      } catch {
        found = null;
      }
      listings.set(dir, found);
    }
    if (found === null) return isSymlink(path);
    const entry = found.get(basename(path));
    if (entry === undefined) return false; // missing: nothing to follow
    if (entry.isSymbolicLink()) return true;
    const other = [entry.isFile(), entry.isDirectory(), entry.isFIFO(), entry.isSocket(), entry.isBlockDevice()];
    return other.includes(true) || entry.isCharacterDevice() ? false : isSymlink(path);
  };
}

/** The path a write to `target` really lands on (its folders resolved, the final name kept), or a typed refusal. */
export async function checkWriteTarget(target: string, guard: WriteGuard): Promise<string> {
  // The folders are resolved; the final name is not: a link there is replaced, never followed.
  const real = join(await realPathDeep(dirname(target)), basename(target));
  const why = writeRefusal(real, guard);
  if (why === null) return real;
  const via = real === target ? '' : ` (it leads to ${real})`;
  throw new StoreError('E_WRITE_REFUSED', `refusing to write ${target}${via}: ${why}`, {
    exitCode: ExitCode.DATA_ERR,
    hint:
      why === 'it is outside the project root'
        ? 'keep out: and save: inside the project, or pass --allow-outside-root'
        : (guard.refusedHint ?? 'change out: or save: in the recipe so outputs land in a folder of their own'),
  });
}
