/**
 * Open (creating if needed) the content-addressed cache dir. See `layout.ts` for what lives
 * where. Opening is cheap: nothing is read until it is asked for.
 */
import { readdir, rm, stat, writeFile } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import { isStaleTemp, writeFileAtomic } from './atomic.js';
import { isCode } from './errno.js';
import { mkdirDurable } from './dir-sync.js';
import { adoptBlob, copyInBlob, hasBlob, putBlob, tempPath } from './blobs.js';
import { copyInBlobs } from './blob-thread.js';
import { StoreError } from './errors.js';
import { createJournal } from './journal.js';
import { assertHex64, layout } from './layout.js';
import { getRecord, putRecord } from './records.js';
import { createSourceHashMemo } from './source-hash.js';
import type { Store } from './types.js';
import { createWrittenOutputs } from './written.js';
import { tempNameFor } from '../util/unique-suffix.js';

export interface OpenStoreOptions {
  /** Clock (ms since epoch) for the racy-mtime guard and temp cleanup; defaults to `Date.now`. */
  readonly now?: () => number;
  /**
   * Told when a cached output is found damaged and dropped: the node then runs again, unless
   * its lock entry and output file prove it current (run/lock-current.ts), which need no cache.
   */
  readonly onWarning?: ((message: string) => void) | undefined;
}

/** Marks the folder as a cache for backup tools (https://bford.info/cachedir/). */
const CACHEDIR_TAG =
  'Signature: 8a477f597d28d172789f06886806bc55\n' +
  '# This file marks a kontext cache directory; it can be deleted at any time.\n';

/** `root` must be absolute (resolve `--cache-dir` against the runtime's cwd first). */
export async function openStore(root: string, options: OpenStoreOptions = {}): Promise<Store> {
  if (!isAbsolute(root))
    throw new StoreError('E_STORE_RELATIVE_PATH', `cache dir must be an absolute path, got ${root}`);
  const now = options.now ?? Date.now;
  await prepareRoot(root);
  await removeStaleTemps(layout.tmp(root), now());
  const memo = createSourceHashMemo(root, now);
  const onUnreadable = unreadableOnce(root, options.onWarning);
  const written = createWrittenOutputs(root);
  return {
    root,
    blobPath: (sha256) => {
      assertHex64(sha256, 'blob digest');
      return layout.blob(root, sha256);
    },
    hasBlob: (sha256) => hasBlob(root, sha256),
    putBlob: (bytes) => putBlob(root, bytes, now),
    adoptBlob: (tempFile, sha256, options) => adoptBlob(root, tempFile, sha256, { ...options, now }),
    copyInBlob: (path, sha256) => copyInBlob(root, path, sha256, now),
    copyInBlobs: (items) => copyInBlobs(root, items, now),
    tempPath: (hint) => tempPath(root, hint),
    getRecord: (key) =>
      getRecord(root, key, {
        hash: (path) => memo.hash(path),
        onDropped: (e) =>
          options.onWarning?.(
            // The message already says "dropped from the cache".
            `${e.message} (the node runs again unless its lock entry and output file prove it current)`,
          ),
        onUnreadable,
        now,
        onMismatch: (path) =>
          options.onWarning?.(
            `cache record ${path}: its request fields do not hash to its key (damaged or edited); not used ` +
              '(the node runs again unless its lock entry and output file prove it current)',
          ),
      }),
    putRecord: (record, options) => putRecord(root, record, options),
    hashSource: (path) => memo.hash(path),
    journal: createJournal(root),
    written,
    flush: async () => {
      await Promise.all([memo.flush(), written.settled()]);
    },
  };
}

async function prepareRoot(root: string): Promise<void> {
  try {
    // Durably: a journal entry is fsynced into its folder, which must itself survive a power cut.
    for (const dir of [layout.blobs(root), layout.records(root), layout.journal(root), layout.tmp(root)]) {
      await mkdirDurable(dir);
    }
    await writeIfMissing(join(root, 'CACHEDIR.TAG'), CACHEDIR_TAG);
    // The cache is per machine: never let `git add .` pick it up.
    await writeIfMissing(join(root, '.gitignore'), '*\n');
    // Folders that exist may still refuse writes (read-only mount, permissions): find out now,
    // not halfway through storing a paid result. The probe's name is as long as the longest the
    // store writes (a download's part of a temp with a 40-character hint), so a cache dir whose
    // path leaves no room for it (ENAMETOOLONG) is found before a request is paid, not at its download.
    const probe = join(layout.tmp(root), tempNameFor(basename(tempPath(root, 'probe'.padEnd(40, '-'))), '.part'));
    await writeFile(probe, '', { flag: 'wx' });
    await rm(probe, { force: true });
  } catch (e) {
    throw new StoreError('E_CACHE_DIR', `cannot use cache dir ${root}: ${(e as Error).message}`, {
      hint: 'choose another with --cache-dir or KONTEXT_CACHE_DIR',
      cause: e,
    });
  }
}

async function writeIfMissing(path: string, text: string): Promise<void> {
  try {
    await stat(path);
  } catch (e) {
    if (!isCode(e, 'ENOENT')) throw e;
    await writeFileAtomic(path, text);
  }
}

/**
 * The temps of crashed downloads and writes in `tmp/` (atomic.ts `isStaleTemp`: a day old, or
 * their writer dead, e.g. a `.part` left by a kill -9 mid-download). Best effort: a temp another
 * process removed first, or cannot be removed, is not our problem.
 */
async function removeStaleTemps(dir: string, nowMs: number): Promise<void> {
  for (const name of await readdir(dir).catch(() => [])) {
    const path = join(dir, name);
    const s = await stat(path).catch(() => null);
    if (s?.isFile() && isStaleTemp(name, s.mtimeMs, nowMs)) await rm(path, { force: true }).catch(() => undefined);
  }
}

/**
 * The report of cache entries this process may not read (EACCES, EPERM): a restored cache with
 * another owner can hold thousands, so it is said once, with the fix.
 */
export function unreadableOnce(
  root: string,
  onWarning: ((message: string) => void) | undefined,
): (path: string, e: unknown) => void {
  let said = false;
  return (path, e) => {
    if (said) return;
    said = true;
    const code = (e as { code?: unknown }).code;
    onWarning?.(
      `cannot read ${path} (${String(code)}): cache entries this process may not read are misses ` +
        `(the node runs again unless its lock entry and output file or the remote cache prove it); ` +
        `give this user the cache dir ${root} (chown -R) or remove it`,
    );
  };
}
