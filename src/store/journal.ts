/**
 * The journal: one small file per submitted-but-unrecorded request, named by cache key.
 * One file each means no appends to tear and no rewrite of the others; `add` fsyncs the file
 * and its folder before resolving, because it is what stops us paying twice after a crash.
 * `claim` writes an intent (before the submit leaves) only where no entry exists: the complete,
 * flushed temp file is hard-linked to the entry's name, which fails if another run got there
 * first, so two processes never both believe they own a key (without hard links the entry is
 * created exclusively, then written: an unreadable entry is taken for another's claim being
 * written until it is `UNREADABLE_STALE_MS` old). Claims and adds made at about the
 * same time (a burst of freed -j slots) share the folder's fsync (group commit, dir-sync.ts `syncDir`,
 * or on the claim thread, claim-thread.ts, where claims are made off the event loop):
 * each still resolves only once its own link is on disk. A journal folder made again (the cache
 * dir deleted under a run) is made durably, each new folder fsynced into its parent.
 * The entries this process wrote and has not removed are also kept in memory, so `restore` can
 * write them again when the cache dir is deleted under a run (a later crash still re-attaches).
 */
import { type FileHandle, link, open, readdir, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempPathFor, withParentDir, writeFileAtomic } from './atomic.js';
import { ClaimThreadStopped, claimOnThread, startClaimThread } from './claim-thread.js';
import { isCode, NO_HARD_LINKS } from './errno.js';
import { syncDir, syncDirty } from './dir-sync.js';
import { StoreError } from './errors.js';
import { writeFailure } from './write-errors.js';
import { withIdFromTemp } from './journal-id-temp.js';
import { assertHex64, isSha256Hex, layout } from './layout.js';
import { readJsonOrNull } from './read-json.js';
import { JournalEntrySchema } from './schemas.js';
import type { Journal, JournalEntry } from './types.js';
import { retryFdLimit } from '../util/fd-limit.js';
import { READ_CAPS, readBoundedText } from '../util/read-bounded.js';

export function createJournal(root: string): Journal {
  const dir = layout.journal(root);
  const durable = { durable: true } as const;
  /** Entries this process wrote and has not removed, by key (for `restore`). */
  const live = new Map<string, JournalEntry>();
  const get = async (key: string): Promise<JournalEntry | null> => {
    assertHex64(key, 'cache key');
    const path = layout.journalEntry(root, key);
    const entry = await readJsonOrNull(path, JournalEntrySchema);
    if (entry === null || entry.key !== key) return null;
    // A dead run's intent whose id reached a temp but not the entry (journal-id-temp.ts).
    return entry.request_id === undefined ? withIdFromTemp(path, entry) : entry;
  };
  const claimAt = async (target: string, text: string, entry: JournalEntry): ReturnType<Journal['claim']> => {
    for (let attempt = 0; ; attempt++) {
      if (await createExclusive(target, text)) return claimed(live, entry);
      const holder = await get(entry.key);
      if (holder) return { claimed: false, holder };
      // Removed between our create and our read (asked again), or unreadable: without hard links
      // another claim's entry is empty until its write lands, however long its disk takes, so an
      // unreadable entry is another's until it is UNREADABLE_STALE_MS old (torn by a crash, say).
      const age = await ageOf(target);
      if (age !== null && age >= UNREADABLE_STALE_MS) {
        await writeFileAtomic(target, text, durable);
        return claimed(live, entry);
      }
      if (attempt >= 1) await sleep(Math.min(20 * attempt, 250));
    }
  };
  return {
    async add(entry, options) {
      const path = layout.journalEntry(root, entry.key);
      const text = serialize(entry);
      const write = (): Promise<void> => writeFileAtomic(path, text, { ...durable, ...options });
      try {
        // The folder's fsync (the rename made durable) is shared with claims and adds under way.
        // The cache dir deleted under the run between the rename and that fsync (ENOENT) took the
        // entry with it: written again at once, its folders made anew, as journal-watch would.
        await write().catch((e: unknown) => (isCode(e, 'ENOENT') ? write() : Promise.reject(e)));
      } catch (e) {
        // A disk that filled since the claim: a temp has no room, the entry's own file has.
        const kept = isCode(e, 'ENOSPC', 'EDQUOT') && (await rewriteInPlace(path, text).catch(() => false));
        if (!kept) throw writeFailure(e, path, 'the request may be paid and its id is not kept; check the dashboard');
      }
      live.set(entry.key, entry);
    },
    async claim(entry) {
      const target = layout.journalEntry(root, entry.key);
      const text = serialize(entry);
      try {
        return await claimAt(target, text, entry);
      } catch (e) {
        // A full or read-only cache disk: exit 73 naming the entry (node's own words name no file).
        throw writeFailure(e, target, 'nothing was submitted for this node; then run again');
      }
    },
    get,
    async remove(key, requestId, run) {
      assertHex64(key, 'cache key');
      const names = (e: JournalEntry | null | undefined): boolean =>
        requestId === null ? e?.request_id === undefined && e?.run === run : e?.request_id === requestId;
      // Forgotten here even when its file is gone already (then `restore` must not bring it back).
      if (requestId === undefined || names(live.get(key))) live.delete(key);
      if (requestId !== undefined && !names(await get(key))) return;
      // Not fsynced: an entry that comes back after a power cut is harmless (its record is a
      // cache hit, or the next run re-attaches by id and pays nothing), while forcing the
      // unlink to disk could only make it outlive a record that is not on disk yet. Before it:
      // the renames of paid results noted so far (blob, record, out/ copy) made durable.
      await syncDirty();
      await unlink(layout.journalEntry(root, key)).catch((e: unknown) => {
        if (!isCode(e, 'ENOENT')) throw e;
      });
    },
    async list() {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (e) {
        if (isCode(e, 'ENOENT')) return [];
        throw e;
      }
      const keys = names
        .filter((n) => n.endsWith('.json'))
        .map((n) => n.slice(0, -5))
        .filter(isSha256Hex);
      const entries = await Promise.all(keys.map(get));
      return entries
        .filter((e): e is JournalEntry => e !== null)
        .sort((a, b) => cmp(a.submitted_at, b.submitted_at) || cmp(a.key, b.key));
    },
    expectClaims: startClaimThread,
    async restore() {
      if (live.size === 0) return 0;
      // Only what was on disk before the listing began can be missing from it: an entry is live
      // once its file is written, and a claim or add landing during the listing is not missing.
      const before = [...live.values()];
      // One listing of the folder (asked once a second during a run), not a stat per entry.
      // A folder that cannot be listed for now (out of file descriptors) is not a deleted one: looked at next time.
      const listed = await readdir(dir).catch((e: unknown) => (isCode(e, 'ENOENT', 'ENOTDIR') ? [] : null));
      if (listed === null) return 0;
      const present = new Set(listed);
      const again = before.filter(
        (e) => live.get(e.key) === e && !present.has(basename(layout.journalEntry(root, e.key))),
      );
      // One fsync of the folder for them all (group commit), and of the folders made again.
      await Promise.all(again.map((e) => writeFileAtomic(layout.journalEntry(root, e.key), serialize(e), durable)));
      // Changed while being written again: removed for good, or the newer entry (its request id)
      // written over the one this wrote.
      await Promise.all(
        again.flatMap((e) => {
          const now = live.get(e.key);
          if (now === e) return [];
          const path = layout.journalEntry(root, e.key);
          return [now === undefined ? rm(path, { force: true }) : writeFileAtomic(path, serialize(now), durable)];
        }),
      );
      return again.length;
    },
  };
}

/**
 * An unreadable entry younger than this may be another run's claim still being written (on a
 * disk without hard links, where it is created before its text lands): a claim waits for it.
 */
const UNREADABLE_STALE_MS = 10_000;

/** How long ago `path` was last written (0 for a time ahead of ours); null when it is gone. */
async function ageOf(path: string): Promise<number | null> {
  try {
    return Math.max(0, Date.now() - (await stat(path)).mtimeMs);
  } catch (e) {
    if (isCode(e, 'ENOENT')) return null;
    throw e;
  }
}

function claimed(live: Map<string, JournalEntry>, entry: JournalEntry): { readonly claimed: true } {
  live.set(entry.key, entry);
  return { claimed: true };
}

function serialize(entry: JournalEntry): string {
  assertHex64(entry.key, 'cache key');
  const parsed = JournalEntrySchema.safeParse(entry);
  if (!parsed.success) {
    throw new StoreError(
      'E_STORE_BAD_JOURNAL',
      `refusing to journal an invalid entry for ${entry.node}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    );
  }
  return `${JSON.stringify(parsed.data)}\n`;
}

/**
 * Write `text` to a flushed temp file, then link it to `target` unless `target` exists; durable
 * when true. A claim sits between a freed -j slot and its submit, so it is made on the claim
 * thread (claim-thread.ts) once that is up; here, the first claims and one whose folder is gone.
 * Once linked, the temp name is unlinked while the folder is synced rather than before (the link
 * is what the sync must cover).
 */
async function createExclusive(target: string, text: string): Promise<boolean> {
  const tmp = tempPathFor(target);
  // On the claim thread when it is up; a missing folder (the cache dir deleted) is made here.
  const onThread = claimOnThread(target, tmp, text);
  if (onThread !== null) {
    try {
      return await onThread;
    } catch (e) {
      if (e instanceof ClaimThreadStopped) await takeBack(target, tmp, text);
      if (!isCode(e, 'ENOENT')) throw e;
    }
  }
  const handle = await withParentDir(target, () => retryFdLimit(() => open(tmp, 'wx', 0o644)), true);
  let linked = false;
  try {
    await writeSyncClose(handle, text);
    try {
      await link(tmp, target);
      linked = true;
    } catch (e) {
      if (isCode(e, 'EEXIST')) return false;
      if (!isCode(e, ...NO_HARD_LINKS)) throw e;
    }
  } finally {
    if (!linked) await rm(tmp, { force: true });
  }
  if (!linked && !(await createInPlace(target, text))) return false;
  const dropTemp = unlink(tmp).catch((e: unknown) => {
    if (!isCode(e, 'ENOENT')) throw e;
  });
  await Promise.all([syncDir(dirname(target)), dropTemp]);
  return true;
}

/**
 * A cache dir on a file system without hard links (exFAT or FAT on an external disk, many
 * network shares): the entry itself is created exclusively and then written, so another run may
 * briefly read it empty (an unreadable entry: its claim asks again before replacing it). A
 * write that fails removes it: never a claim without its text.
 */
async function createInPlace(target: string, text: string): Promise<boolean> {
  let handle: FileHandle;
  try {
    handle = await retryFdLimit(() => open(target, 'wx', 0o644));
  } catch (e) {
    if (isCode(e, 'EEXIST')) return false;
    throw e;
  }
  try {
    await writeSyncClose(handle, text);
  } catch (e) {
    await rm(target, { force: true });
    throw e;
  }
  return true;
}

/** `text` written to a new file's `handle` and flushed; the handle closed either way. */
async function writeSyncClose(handle: FileHandle, text: string): Promise<void> {
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * `path` (an intent, its request id now known) rewritten where it lies, in the blocks it has:
 * on a disk that filled between the claim and the reply, the paid request's id is kept, so the
 * next run re-attaches instead of facing a "maybe paid" intent (or it stops here, without a
 * journal to say what was paid). Not atomic, unlike every other journal write: only where that
 * write found no room. The longer text may need a block the disk no longer has: a write that
 * comes up short puts the intent back as it was (its blocks are there) and throws, so the entry
 * is never left torn (an unreadable entry is taken for another's claim, then replaced: paid
 * twice) but stays the intent, "maybe paid". False when the file is gone.
 */
async function rewriteInPlace(path: string, text: string): Promise<boolean> {
  let handle: FileHandle;
  try {
    handle = await retryFdLimit(() => open(path, 'r+'));
  } catch (e) {
    if (isCode(e, 'ENOENT')) return false;
    throw e;
  }
  try {
    const before = await handle.readFile();
    try {
      await writeWhole(handle, Buffer.from(text));
    } catch (e) {
      await writeWhole(handle, before).catch(() => undefined);
      throw e;
    }
  } finally {
    await handle.close();
  }
  return true;
}

/** `bytes` written over the file from its start (however many writes that takes), cut to them, flushed. */
async function writeWhole(handle: FileHandle, bytes: Buffer): Promise<void> {
  for (let at = 0; at < bytes.length; ) {
    const { bytesWritten } = await handle.write(bytes, at, bytes.length - at, at);
    if (bytesWritten === 0) throw Object.assign(new Error('no byte written'), { code: 'ENOSPC' });
    at += bytesWritten;
  }
  await handle.truncate(bytes.length);
  await handle.sync();
}

/**
 * A claim the claim thread died holding: it may have linked `target` (our `text`, byte for byte:
 * it holds this run's token and time, so no one else wrote it) and left its temp. Both go, so
 * the claim is not made: the node stops before its submit, and no later run takes the entry for
 * a dead run's intent, "maybe paid" (run/submit-claim.ts). Best effort: an entry that cannot be
 * removed stays an intent, which costs a question, never a second payment.
 */
async function takeBack(target: string, tmp: string, text: string): Promise<void> {
  await rm(tmp, { force: true }).catch(() => undefined);
  const now = await readBoundedText(target, READ_CAPS.journal).catch(() => null);
  if (now === text) await unlink(target).catch(() => undefined);
}

function cmp(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
