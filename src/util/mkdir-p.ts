/**
 * `mkdir -p` that always ends. Node's own recursive mkdir (sync and async) retries for ever, at
 * 100 % CPU, when mkdir says ENOENT for a folder whose parent exists: a pseudo file system such
 * as `/proc` does that (`--cache-dir /proc/nope`). Here the walk goes up to the first folder that
 * exists, then creates downward one level at a time; an ENOENT for a folder whose parent exists
 * is thrown as it is (Node's own error: code, syscall, path). A parent removed meanwhile (a cache
 * dir deleted during a run) starts the walk again, a few times at most.
 */
import { mkdirSync, statSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** Walks again when a parent vanished under us; a file system that keeps refusing is an error. */
const WALKS = 3;

const codeOf = (e: unknown): unknown => (e as { code?: unknown } | null)?.code;

/** `mkdir -p dir` (each folder made with `mode`); the first folder it created, or undefined (as Node's). */
export async function mkdirp(dir: string, mode?: number): Promise<string | undefined> {
  const target = resolve(dir);
  for (let walk = 1; ; walk++) {
    const missing = await missingAsync(target);
    let first: string | undefined;
    try {
      for (const d of missing) {
        if (await madeAsync(d, mode)) first ??= d;
      }
      return first;
    } catch (e) {
      if (codeOf(e) !== 'ENOENT' || walk >= WALKS || (await isDirAsync(dirname(pathOf(e, target))))) throw e;
    }
  }
}

/** {@link mkdirp} in synchronous calls. */
export function mkdirpSync(dir: string, mode?: number): string | undefined {
  const target = resolve(dir);
  for (let walk = 1; ; walk++) {
    const missing = missingSync(target);
    let first: string | undefined;
    try {
      for (const d of missing) {
        if (madeSync(d, mode)) first ??= d;
      }
      return first;
    } catch (e) {
      if (codeOf(e) !== 'ENOENT' || walk >= WALKS || isDirSync(dirname(pathOf(e, target)))) throw e;
    }
  }
}

/**
 * The folders to make, outermost first: `target` and its ancestors up to the first that exists.
 * An existing file on the way is left for mkdir to refuse (EEXIST for `target`, else ENOTDIR).
 */
async function missingAsync(target: string): Promise<string[]> {
  const missing: string[] = [];
  for (let d = target; ; d = dirname(d)) {
    const found = await stat(d).catch((e: unknown) => {
      if (!isAbsent(e) || dirname(d) === d) throw e;
      return null;
    });
    if (found !== null) return missing.length === 0 && !found.isDirectory() ? [target] : missing.reverse();
    missing.push(d);
  }
}

function missingSync(target: string): string[] {
  const missing: string[] = [];
  for (let d = target; ; d = dirname(d)) {
    let found: ReturnType<typeof statSync> | null;
    try {
      found = statSync(d);
    } catch (e) {
      if (!isAbsent(e) || dirname(d) === d) throw e;
      found = null;
    }
    if (found !== null) return missing.length === 0 && !found.isDirectory() ? [target] : missing.reverse();
    missing.push(d);
  }
}

/** ENOTDIR: an ancestor is a file; mkdir below it gives Node's own error. */
const isAbsent = (e: unknown): boolean => codeOf(e) === 'ENOENT' || codeOf(e) === 'ENOTDIR';

/** mkdir one level; false when another process made it first (a folder), Node's error otherwise. */
async function madeAsync(d: string, mode: number | undefined): Promise<boolean> {
  try {
    await mkdir(d, mode === undefined ? undefined : { mode });
    return true;
  } catch (e) {
    if (codeOf(e) === 'EEXIST' && (await isDirAsync(d))) return false;
    throw e;
  }
}

function madeSync(d: string, mode: number | undefined): boolean {
  try {
    mkdirSync(d, mode === undefined ? undefined : { mode });
    return true;
  } catch (e) {
    if (codeOf(e) === 'EEXIST' && isDirSync(d)) return false;
    throw e;
  }
}

const isDirAsync = (p: string): Promise<boolean> =>
  stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );

function isDirSync(p: string): boolean {
  return statSync(p, { throwIfNoEntry: false })?.isDirectory() === true;
}

/** The path a failed mkdir names (Node's errors carry it). */
function pathOf(e: unknown, fallback: string): string {
  const path = (e as { path?: unknown }).path;
  return typeof path === 'string' ? path : fallback;
}
