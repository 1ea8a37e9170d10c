/**
 * Where a path really leads, through symlinks: the realpath of its deepest existing ancestor
 * plus the rest, as written. A check on the text of a path (`homelink/.bashrc`) says nothing
 * about where a write or a read lands when `homelink` is a symlink; this does.
 */
import { readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';

export async function realPathDeep(target: string): Promise<string> {
  return realPathDeepSync(target);
}

/**
 * {@link realPathDeep} without the promise: a lock's check resolves the folder of every output
 * (memoized per folder), where the promises cost more than the calls.
 */
export function realPathDeepSync(target: string): string {
  return deep(path.resolve(target), 0);
}

/** Links followed at most (Linux's MAXSYMLINKS): a longer chain, a loop, is no place a write lands. */
const MAX_LINKS = 40;

function deep(absolute: string, links: number): string {
  const rest: string[] = [];
  let current = absolute;
  for (;;) {
    try {
      // Synchronous (the same realpath(3) as the async form): called for every source, up to three
      // times per run, where a thread-pool round trip each cost more than the call.
      const real = realpathSync.native(current);
      return rest.length === 0 ? real : path.join(real, ...rest.reverse());
    } catch {
      // A dangling link (`out -> /home/alice/out` in a teammate's clone) leads where it points,
      // which does not exist yet: a write through it would create it there.
      const to = links < MAX_LINKS ? linkTarget(current) : null;
      // A relative target is read from the folder the link really lies in (its own path may go
      // through linked folders), as the kernel reads it.
      if (to !== null) return deep(path.join(path.resolve(realDir(current), to), ...rest.reverse()), links + 1);
      const parent = path.dirname(current);
      if (parent === current) return absolute;
      rest.push(path.basename(current));
      current = parent;
    }
  }
}

/** The real folder of the link at `p` (it exists: the link was read); as written if that fails. */
function realDir(p: string): string {
  try {
    return realpathSync.native(path.dirname(p));
  } catch {
    return path.dirname(p);
  }
}

function linkTarget(p: string): string | null {
  try {
    return readlinkSync(p);
  } catch {
    return null;
  }
}

/** Whether `target` is `root` itself or lies below it (both absolute and normalised). */
export function isWithin(root: string, target: string): boolean {
  // Both clean (absolute, no `.`/`..` segment, no `//`, no trailing `/`): relative() would change
  // neither, so a prefix test decides (a write guard asks this of every output against the cache dir).
  if (path.sep === '/' && isCleanAbsolute(root) && isCleanAbsolute(target))
    return target === root || root === '/' || (target.startsWith(root) && target[root.length] === '/');
  const rel = path.relative(root, target);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

const UNCLEAN = /\/\/|(^|\/)\.\.?(\/|$)/;

/** A POSIX absolute path that path.resolve leaves as it is (no `.`/`..` segment, no `//`, no trailing `/`). */
export function isCleanAbsolute(p: string): boolean {
  return p.startsWith('/') && (p === '/' || !p.endsWith('/')) && !UNCLEAN.test(p);
}

/** Each root as written and as it really is (a project reached through a symlinked folder). */
export async function withRealRoots(roots: readonly string[]): Promise<string[]> {
  const all = await Promise.all(roots.map(async (r) => [path.resolve(r), await realPathDeep(r)]));
  return [...new Set(all.flat())];
}

/**
 * A file named from `cwd` as the OS opens it: its folder through every symlink on the way (a `..`
 * after a linked folder taken from the real folder, as the kernel does, where path.resolve would
 * drop the link's own name), its own name kept, a link included (a symlinked recipe stays beside its
 * link). The lexical path when the folder cannot be resolved (missing: its read then says so).
 */
export function fileAsOpened(cwd: string, typed: string): string {
  const raw = path.isAbsolute(typed) ? typed : `${cwd}${path.sep}${typed}`;
  const cut = Math.max(raw.lastIndexOf('/'), raw.lastIndexOf(path.sep));
  const base = raw.slice(cut + 1);
  if (base === '' || base === '.' || base === '..') return path.resolve(raw);
  try {
    return path.join(realpathSync.native(raw.slice(0, cut) || path.sep), base);
  } catch {
    return path.resolve(raw);
  }
}
