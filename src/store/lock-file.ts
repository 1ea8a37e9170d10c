/**
 * `<recipe-stem>.lock.json`: the committed record of seeds and outputs (docs/architecture.md#cache-lock-and-journal).
 * Written pretty, keys sorted, nodes in sorted order, so diffs and merges stay small.
 * Updates take `<lock>.lck`, re-read, mutate, write atomically: overlapping runs of one
 * recipe never tear the file or lose each other's entries. A file we cannot read is an error
 * (exit 65) and is never overwritten: it may hold the only record of a seed.
 * A writer that passes a {@link LockCache} skips the re-read while the file is still the one it
 * wrote (same size, mtime and inode): an update then costs O(changed entries) plus the write,
 * and the cache keeps the entries, not the file's text (megabytes at 10,000 nodes).
 */
import { stat } from 'node:fs/promises';
import { isCode } from './errno.js';
import { LockFileError, StoreError } from './errors.js';
import { withFileMutex, type FileMutexOptions } from './file-mutex.js';
import {
  countValueMembers,
  findJsonDuplicateKey,
  findJsonSyntaxError,
  jsonMembersAtMost,
  formatPath,
  lineCol,
  locatePath,
} from '../util/json-locate.js';
import { firstMarkerLine, hasConflictMarkers, type LockSides, parseConflictedLock } from './lock-conflict.js';
import { type LockEol, LockFormatter, lockEol } from './lock-format.js';
import { checkLockOutputs } from './lock-outputs.js';
import { newerFieldsError, quickLock, refuseHiddenChars } from './lock-check.js';
import { LockEntrySchema, LockFileSchema, LooseLockFileSchema } from './schemas.js';
import type { LockEntry, LockFile } from './types.js';
import { escapeHidden } from '../util/hidden-chars.js';
import { isBoundedReadError, READ_CAPS, readBoundedText } from '../util/read-bounded.js';
import type { WriteGuard } from './write-guard.js';
import { writeFailure } from './write-errors.js';
import { writeLockDurably } from './lock-write.js';
import { isUnreadable, readFailure } from '../util/read-failure.js';

export { formatLock } from './lock-format.js';

/** Options for writers: the runtime's `pid` and `isAlive` (see Runtime). */
export interface UpdateLockOptions extends FileMutexOptions {
  /** The same object for every update of one file by one writer (see {@link LockCache}). */
  readonly cache?: LockCache | undefined;
  /** Test hook (the CLI may end the process here; see cli/test-hooks.ts). */
  readonly crashPoint?: ((point: string) => void) | undefined;
  /**
   * Told under the mutex the file's {@link lockSignature} as the update found it and as it left it
   * (the same when nothing was written): a watch session tells its own writes from another's.
   */
  readonly onUpdate?: LockUpdateListener | undefined;
}

/** See {@link UpdateLockOptions.onUpdate}; `null`: no file. */
export type LockUpdateListener = (found: string | null, left: string | null) => void;

interface Snapshot {
  readonly lock: LockFile;
  /**
   * The file's text as read; `null` when there is no file or when `formatted` says what it is.
   */
  readonly text: string | null;
  /** The file is exactly `LockFormatter.format(lock.nodes)` (it was written or checked so). */
  readonly formatted?: true;
  /** size, mtime (ns) and inode of the file holding `text`; null when there is no file. */
  readonly sig: string | null;
  /** The file's line ending (a CRLF checkout's is kept). */
  readonly eol: LockEol;
}

/**
 * What one writer last read or wrote of a lock file. Every writer replaces the file by rename
 * (a new inode), and people and git change its size or mtime, so a matching signature means
 * nobody else wrote it since: the content we hold is the content on disk.
 */
export class LockCache {
  #last: Snapshot | null = null;
  readonly formatter = new LockFormatter();

  lookup(sig: string): Snapshot | null {
    return this.#last !== null && this.#last.sig === sig ? this.#last : null;
  }

  remember(snapshot: Snapshot): void {
    this.#last = snapshot.sig === null ? null : snapshot;
  }
}

export interface ReadLockOptions {
  /**
   * What the run may not touch (see write-guard.ts): every entry's `output` is checked against
   * it, so a lock from someone else cannot make kontext read, adopt or overwrite a file outside
   * the project, in `.git/`, or the recipe, a lock or a source. One bad entry refuses the lock.
   */
  readonly outputs?: WriteGuard | undefined;
}

/** The lock file as read: a lock (empty when there is no file), or the two sides of a git conflict in it. */
export type LockState =
  | { readonly lock: LockFile; readonly sides: null; readonly text: string | null }
  | { readonly lock: null; readonly sides: LockSides; readonly text: string };

/** The lock file, or an empty one when it does not exist yet; a conflicted one is an error ({@link readLockState}). */
export async function readLock(path: string, options: ReadLockOptions = {}): Promise<LockFile> {
  const state = await readLockState(path, options);
  if (state.sides !== null) throw unresolvedConflict(path, state.text, state.sides);
  return state.lock;
}

/**
 * The lock file, or both sides of the git conflicts in it (lock-conflict.ts; each side's outputs
 * checked against the guard as a lock's are): the caller merges them (run/lock-resolve.ts) or
 * keeps what either names (gc).
 */
export async function readLockState(path: string, options: ReadLockOptions = {}): Promise<LockState> {
  const state = await readLockFile(path);
  if (options.outputs === undefined || state.text === null) return state;
  if (state.sides === null) checkLockOutputs(state.lock, { text: state.text }, path, options.outputs);
  else
    for (const side of ['ours', 'theirs'] as const)
      checkLockOutputs(state.sides[side], state.sides.texts[side], path, options.outputs);
  return state;
}

/** A conflicted lock where only a lock will do (a writer under the mutex, `clean`): exit 65 at the first marker. */
function unresolvedConflict(path: string, text: string, sides: LockSides): LockFileError {
  const line = firstMarkerLine(text);
  const hunks = `${sides.hunks} conflict${sides.hunks === 1 ? '' : 's'}`;
  return new LockFileError(`${path}:${line}:1: the lock has git conflict markers (${hunks})`, {
    hint: '`kontext run` resolves them from the output files and the cache; `kontext status` says how it will',
    location: { file: path, line, col: 1 },
  });
}

/** Parse lock file text; throws {@link LockFileError} naming the file, line and column. */
export function parseLock(text: string, file: string): LockFile {
  const body = text.replace(/^\uFEFF/, '');
  // Only for an error: the test scans the whole text (a tenth of parsing a 10,000-node lock).
  const hint = (): string =>
    hasConflictMarkers(body)
      ? 'the file has git conflict markers: `kontext run` resolves them from the output files and the cache'
      : `fix or restore ${file} (e.g. from git); kontext will not overwrite it`;
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (e) {
    const found = findJsonSyntaxError(body) ?? { offset: 0, message: (e as Error).message };
    const { line, col } = lineCol(body, found.offset);
    throw new LockFileError(`${file}:${line}:${col}: invalid JSON: ${found.message}`, {
      hint: hint(),
      location: { file, line, col },
      cause: e,
    });
  }
  // JSON.parse keeps the last of a repeated key: a node held twice would silently lose one entry.
  const counted = { members: 0 };
  const quick = quickLock(data, counted);
  const members = quick === null ? countValueMembers(data) : counted.members;
  if (jsonMembersAtMost(body) !== members) refuseDuplicate(body, file);
  if (quick !== null) return quick;
  refuseNewerVersion(data, body, file);
  refuseHiddenChars(data, body, file);
  const parsed = LockFileSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  // Well-formed but for fields this kontext does not know: a newer one's, not a damaged lock.
  const loose = LooseLockFileSchema.safeParse(data);
  if (loose.success) throw newerFieldsError(parsed.error.issues, body, file);
  const issue = loose.error.issues[0];
  const where = issue ? formatPath(issue.path) : '';
  const { line, col } = lineCol(body, locatePath(body, issue?.path ?? []));
  const message = `${file}:${line}:${col}: ${where ? `${where}: ` : ''}${issue?.message ?? 'invalid lock file'}`;
  throw new LockFileError(message, { hint: hint(), location: { file, line, col } });
}

/** A lock whose `version` is a later format than 1: written by a newer kontext, which this one must not rewrite. */
function refuseNewerVersion(data: unknown, body: string, file: string): void {
  const version = typeof data === 'object' && data !== null ? (data as Record<string, unknown>)['version'] : undefined;
  if (typeof version !== 'number' || !Number.isInteger(version) || version <= 1) return;
  const { line, col } = lineCol(body, locatePath(body, ['version']));
  const what = `version ${version} is the lock format of a newer kontext (this one reads version 1)`;
  const message = `${file}:${line}:${col}: ${what}`;
  throw new LockFileError(message, {
    hint: `upgrade kontext to run this recipe; this one will not overwrite ${file}`,
    location: { file, line, col },
  });
}

/**
 * Throws {@link LockFileError} at the first key an object of the lock repeats (none found: returns). Refused, not
 * resolved: the two entries of a node hold different seeds or outputs, and which one the output
 * file and the user's history mean is not something kontext can know (see docs/architecture.md).
 */
function refuseDuplicate(body: string, file: string): void {
  // The count is an upper bound: a string holding an escaped `\":` raises it without a repeat.
  const dup = findJsonDuplicateKey(body);
  if (dup === null) return;
  const { line, col } = lineCol(body, dup.offset);
  const first = lineCol(body, dup.first).line;
  const isNode = dup.path.length === 1 && dup.path[0] === 'nodes';
  const what = `${isNode ? 'node' : 'key'} ${escapeHidden(JSON.stringify(dup.key))}`;
  const where = dup.path.length === 0 ? '' : `${formatPath(dup.path)}: `;
  throw new LockFileError(`${file}:${line}:${col}: ${where}${what} appears twice (first at line ${first})`, {
    hint: isNode
      ? 'a lock holds one entry per node: keep the one whose output_sha256 matches the output you keep; ' +
        'the other result stays in the cache'
      : 'keep one of the two; kontext does not rewrite the lock until then',
    location: { file, line, col },
  });
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
  const cache = options.cache ?? new LockCache();
  return withFileMutex(
    path,
    async () => {
      const base = await currentLock(path, cache);
      const nodes: Record<string, LockEntry> = { ...base.lock.nodes };
      mutate(nodes);
      const lock: LockFile = { version: 1, nodes: validateChanged(path, base.lock.nodes, nodes) };
      // Unchanged text: nothing to write (a no-op run leaves the lock, and its mtime, alone).
      if (base.formatted && cache.formatter.sameText(base.lock.nodes, lock.nodes)) {
        cache.remember({ ...base, lock });
        options.onUpdate?.(base.sig, base.sig);
        return lock;
      }
      if (base.text !== null && cache.formatter.isText(lock.nodes, base.text)) {
        cache.remember({ lock, text: null, formatted: true, sig: base.sig, eol: base.eol });
        options.onUpdate?.(base.sig, base.sig);
        return lock;
      }
      // Durable: a run reports success only once the lock's new name is on disk (its folder fsynced).
      await writeLockDurably(path, lock.nodes, {
        crashPoint: options.crashPoint,
        points: { tempWritten: 'lock-temp-written', renamed: 'lock-renamed' },
        unchanged: UPDATE_UNCHANGED,
        formatter: cache.formatter,
        eol: base.eol,
      });
      const sig = await lockSignature(path);
      cache.remember({ lock, text: null, formatted: true, sig, eol: base.eol });
      options.onUpdate?.(base.sig, sig);
      return lock;
    },
    options,
  ).catch((e: unknown) => {
    // Its mutex on a full or read-only disk (the write itself says so in writeLockDurably).
    throw writeFailure(e, path, UPDATE_UNCHANGED);
  });
}

const UPDATE_UNCHANGED =
  'the old lock is unchanged and the results are in the cache: run again (nothing is paid twice)';

/** The lock as on disk (under the mutex): from the cache when the file is still the one it holds. */
async function currentLock(path: string, cache: LockCache): Promise<Snapshot> {
  const sig = await lockSignature(path);
  if (sig === null) return { lock: { version: 1, nodes: {} }, text: null, sig: null, eol: '\n' };
  const known = cache.lookup(sig);
  if (known) return known;
  const { lock, text } = await readLockText(path);
  return { lock, text, sig, eol: lockEol(text) };
}

/** A lock file's size, mtime (ns) and inode: every write changes it (a rename makes a new inode); `null`: no file. */
export async function lockSignature(path: string): Promise<string | null> {
  try {
    const s = await stat(path, { bigint: true });
    return `${s.size}:${s.mtimeNs}:${s.ino}`;
  } catch (e) {
    if (isCode(e, 'ENOENT')) return null;
    throw e;
  }
}

/**
 * Entries read from the file were validated by `parseLock`, cached ones when they were set:
 * only entries `mutate` added or replaced are checked (and copied, so later changes to the
 * caller's objects cannot reach the file).
 */
function validateChanged(
  path: string,
  before: Readonly<Record<string, LockEntry>>,
  nodes: Record<string, LockEntry>,
): Record<string, LockEntry> {
  for (const [id, entry] of Object.entries(nodes)) {
    if (before[id] === entry) continue;
    const parsed = LockEntrySchema.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = formatPath(['nodes', id, ...(issue?.path ?? [])]);
      throw new StoreError(
        'E_LOCK_BAD_ENTRY',
        `refusing to write an invalid lock entry to ${path}: ${where}: ${issue?.message ?? ''}`,
      );
    }
    nodes[id] = parsed.data;
  }
  return nodes;
}

/** Drop these node ids from the lock (e.g. passes removed from the recipe). */
export async function removeLockEntries(
  path: string,
  ids: readonly string[],
  options: UpdateLockOptions = {},
): Promise<LockFile> {
  return updateLock(
    path,
    (nodes) => {
      for (const id of ids) delete nodes[id];
    },
    options,
  );
}

async function readLockText(path: string): Promise<{ lock: LockFile; text: string | null }> {
  const state = await readLockFile(path);
  if (state.sides !== null) throw unresolvedConflict(path, state.text, state.sides);
  return state;
}

async function readLockFile(path: string): Promise<LockState> {
  const text = await lockFileText(path);
  if (text === null) return { lock: { version: 1, nodes: {} }, sides: null, text: null };
  return lockStateOf(text, path);
}

/** A lock file's text, null when there is none; one this user may not read exit 66, one too large 65. */
export async function lockFileText(path: string): Promise<string | null> {
  try {
    return await readBoundedText(path, READ_CAPS.lock);
  } catch (e) {
    if (isCode(e, 'ENOENT')) return null;
    if (isUnreadable(e)) throw readFailure(e, path, 'lock file');
    if (isBoundedReadError(e)) {
      throw new LockFileError(`lock file ${e.message}`, {
        hint: `a lock file is small JSON written by kontext; move ${path} aside (the cache still has the outputs)`,
        cause: e,
      });
    }
    throw e;
  }
}

/** A lock file's text as a lock, or the two sides of the git conflicts in it; any other text throws. */
export function lockStateOf(text: string, path: string): LockState {
  try {
    return { lock: parseLock(text, path), sides: null, text };
  } catch (e) {
    // Only once the parse failed: a conflict marker is never valid JSON.
    const sides = hasConflictMarkers(text) ? parseConflictedLock(text, path, parseLock) : null;
    if (sides === null) throw e;
    return { lock: null, sides, text };
  }
}
