/**
 * `<recipe-stem>.lock.json`: the committed record of seeds and outputs (DESIGN.md §2).
 * Written pretty, keys sorted, nodes in sorted order, so diffs and merges stay small.
 * Updates take `<lock>.lck`, re-read, mutate, write atomically: overlapping runs of one
 * recipe never tear the file or lose each other's entries. A file we cannot read is an error
 * (exit 65) and is never overwritten: it may hold the only record of a seed.
 */
import { readFile } from 'node:fs/promises';
import { isCode, writeFileAtomic } from './atomic.js';
import { sortKeysDeep } from './canonical-json.js';
import { LockFileError, StoreError } from './errors.js';
import { withFileMutex, type FileMutexOptions } from './file-mutex.js';
import { findJsonSyntaxError, lineCol } from './json-locate.js';
import { LockFileSchema } from './schemas.js';
import type { LockEntry, LockFile } from './types.js';

/** Options for writers: pass `pid: process.pid` and a `process.kill(pid, 0)`-based `isAlive`. */
export type UpdateLockOptions = FileMutexOptions;

const CONFLICT_MARKER = /^(<{7}|={7}|>{7})(\s|$)/m;

/** The lock file, or an empty one when it does not exist yet. */
export async function readLock(path: string): Promise<LockFile> {
  return (await readLockText(path)).lock;
}

/** Parse lock file text; throws {@link LockFileError} naming the file, line and column. */
export function parseLock(text: string, file: string): LockFile {
  const body = text.replace(/^\uFEFF/, '');
  const hint = CONFLICT_MARKER.test(body)
    ? 'the file has git conflict markers: keep the node entries of both sides and remove the markers'
    : `fix or restore ${file} (e.g. from git); kontext will not overwrite it`;
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (e) {
    const found = findJsonSyntaxError(body) ?? { offset: 0, message: (e as Error).message };
    const { line, col } = lineCol(body, found.offset);
    throw new LockFileError(`${file}:${line}:${col}: invalid JSON: ${found.message}`, { hint, location: { file, line, col }, cause: e });
  }
  const parsed = LockFileSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue ? formatPath(issue.path) : '';
  const { line, col } = lineCol(body, locatePath(body, issue?.path ?? []));
  const message = `${file}:${line}:${col}: ${where ? `${where}: ` : ''}${issue?.message ?? 'invalid lock file'}`;
  throw new LockFileError(message, { hint, location: { file, line, col } });
}

/** Pretty JSON (2 spaces), every object's keys sorted (so node ids too), trailing newline. */
export function formatLock(lock: LockFile): string {
  return `${JSON.stringify(sortKeysDeep(lock), null, 2)}\n`;
}

/**
 * Under the file lock: re-read the current file, let `mutate` change the nodes (add, replace,
 * delete), write it back atomically if anything changed. Returns the lock as written.
 */
export async function updateLock(
  path: string,
  mutate: (nodes: Record<string, LockEntry>) => void,
  options: UpdateLockOptions = {},
): Promise<LockFile> {
  return withFileMutex(
    path,
    async () => {
      const { lock, text } = await readLockText(path);
      const nodes: Record<string, LockEntry> = { ...lock.nodes };
      mutate(nodes);
      const parsed = LockFileSchema.safeParse({ version: 1, nodes });
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new StoreError('E_LOCK_BAD_ENTRY', `refusing to write an invalid lock entry to ${path}: ${formatPath(issue?.path ?? [])}: ${issue?.message ?? ''}`);
      }
      const out = formatLock(parsed.data);
      if (out !== text) await writeFileAtomic(path, out);
      return parsed.data;
    },
    options,
  );
}

/** Drop these node ids from the lock (e.g. passes removed from the recipe). */
export async function removeLockEntries(path: string, ids: readonly string[], options: UpdateLockOptions = {}): Promise<LockFile> {
  return updateLock(path, (nodes) => {
    for (const id of ids) delete nodes[id];
  }, options);
}

async function readLockText(path: string): Promise<{ lock: LockFile; text: string | null }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (isCode(e, 'ENOENT')) return { lock: { version: 1, nodes: {} }, text: null };
    throw e;
  }
  return { lock: parseLock(text, path), text };
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z_$][\w$]*$/.test(String(p)) ? `${i === 0 ? '' : '.'}${String(p)}` : `[${JSON.stringify(String(p))}]`))
    .join('');
}

/** Best effort for pretty-printed files: the offset of the deepest key of `path` found in order. */
function locatePath(text: string, path: readonly PropertyKey[]): number {
  let offset = 0;
  for (const p of path) {
    if (typeof p !== 'string') continue;
    const at = text.indexOf(`${JSON.stringify(p)}`, offset);
    if (at < 0) break;
    offset = at;
  }
  return offset;
}
