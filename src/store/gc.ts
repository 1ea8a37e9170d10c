/**
 * Pruning the cache (`kontext gc`): run records and blobs that no lock file and no journal entry
 * needs, by age ("last used", see `touch.ts`) and/or down to a size, least recently used first.
 *
 * - Protected: every run record whose key a given lock file, the journal or a note of an upload
 *   still due to a remote cache (`remote-pending/`, gc-roots.ts) names, every blob a lock names
 *   (output and input sha256), the output blob and change map of every protected record, and the
 *   input blob of every journal entry (an in-flight request may need it hosted again). Journal
 *   entries and notes themselves are never removed. A lock git left conflicted protects what either side
 *   names (lock-conflict.ts). A lock file that does not parse (a newer kontext's, a damaged one)
 *   keeps every sha256 its text holds, with a warning (gc-roots.ts); one that cannot be read at
 *   all stops gc (exit 66, or 65 when too large): what it references is unknown.
 * - A record goes before its blob, and a blob goes only when no remaining record points to it,
 *   so no record is left pointing to a missing blob.
 * - Temp files left by a crash (atomic-write siblings `.<name>.<suffix>.tmp` beside records,
 *   blobs, journal entries, memos and hosting records; anything in `tmp/`, `.part` downloads included) go once
 *   they are a day old, or sooner when their name's writer is provably dead (atomic.ts
 *   `isStaleTemp`), whatever the limits (opening a store sweeps only `tmp/`). A younger one of a
 *   live writer, or of one we cannot check, may be a write in progress and is never touched.
 * - Source-hash memo files (`sources/`) of folders that no longer exist, and day-old ones no run
 *   can read, go whatever the limits (`gc-memos.ts`); a kept memo is not rewritten. So do hosting
 *   records no run will use (`hosted/`: expired, or an s3 one keeping a presigned URL: `gc-hosted.ts`).
 * - Safe beside a running `kontext run`: the cache is scanned first, then the journal read, then the
 *   lock files found and read. A run journals a node before its record exists and drops the entry
 *   only once the node's lock entry is on disk, so every record the scan met is, when gc looks,
 *   either still journaled or in a lock file (when that lock is one gc was given); what is
 *   written after the scan is no candidate. Only final names
 *   (`<hex>` blobs, `<hex>.json` records) and crash-left temps are candidates. Two gcs on one
 *   cache serialize on `<cache>/gc.lck` (on a full disk, held by an empty file: file-mutex.ts `holdWhenFull`).
 * - Safe beside a cache hit in any project (whose lock gc may not read): a hit marks its record
 *   used before it reads the blob, but at most once per `TOUCH_AFTER_MS` (touch.ts), and it may
 *   read the blob long after, so a record's mtime alone cannot tell gc, during its whole scan,
 *   that a hit is using it. So a record used within {@link IN_USE_MS} is kept, by age and by size
 *   (counted in use; `--max-size` may stay over), and an older one is claimed before it goes
 *   (gc-claim.ts): moved aside, its mtime read again, put back when a hit marked it meanwhile. A
 *   hit that marks it after the claim finds it gone and takes a miss, never a blob about to go.
 *   A blob goes only once its last record has gone, and is stat'ed again first (a reuse bumps it).
 * - A blob no record names is a crash's leftover, or a run's download between its blob and its
 *   record (execute.ts stores the blob first): one younger than {@link UNRECORDED_BLOB_MS} is kept
 *   (counted in use), or `--max-size` beside a downloading run would delete a paid output.
 * - An mtime in the future (`isFutureDated`: a cache copied from a machine whose clock ran ahead)
 *   tells nothing: such an entry counts as last used just before the in-use window, not in use
 *   (a hit dates it back to now first, touch.ts, so a claim sees the hit), but a blob no record
 *   names yet is kept as a download may be (a file server's clock ahead); what gc keeps of them
 *   is dated to now on disk: it ages from now rather than never.
 */
import { stat, unlink } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import { isStaleTemp, isTempName } from './atomic.js';
import { idTempsIn } from './journal-id-temp.js';
import { isCode } from './errno.js';
import { StoreError } from './errors.js';
import { withFileMutex, type FileMutexOptions } from './file-mutex.js';
import { pruneHosted } from './gc-hosted.js';
import { pruneMemos } from './gc-memos.js';
import { listFanOut, listIn } from './list-dir.js';
import { type GcRoots, type LockText, readGcRoots } from './gc-roots.js';
import { pruneWritten } from './written.js';
import { isSha256Hex, layout } from './layout.js';
import { readJsonOrNull } from './read-json.js';
import { isClaim, redateUnmoved, restoreClaim, unlinkClaimed, unlinkUnmoved } from './gc-claim.js';
import { memoDirOf } from './source-hash.js';
import { RunRecordSchema } from './schemas.js';
import { fileInfo, isFutureDated, TOUCH_AFTER_MS } from './touch.js';
import { type BlobItem, type Item, type RecordItem, recordBlobs, sortedByUse } from './gc-items.js';
import type { GcReport, GcTally, GcTemps } from './gc-report.js';

export type { GcReport, GcTally, GcTemps } from './gc-report.js';

export interface GcOptions extends FileMutexOptions {
  /** Remove unprotected entries not used for this long. */
  readonly olderThanMs?: number | undefined;
  /** Then remove unprotected entries, least recently used first, until blobs + records take at most this. */
  readonly maxBytes?: number | undefined;
  /**
   * Lock files whose references are kept (absolute paths), or how to find them: called after the
   * scan and the journal are read, so a lock file a run creates meanwhile is found.
   */
  readonly lockFiles: readonly string[] | (() => Promise<readonly string[]>);
  /** Lock files of other git branches and stashes (gc-roots.ts `LockText`), whose references are kept too. */
  readonly lockTexts?: (() => Promise<readonly LockText[]>) | undefined;
  /** Report what would go; remove nothing. */
  readonly dryRun?: boolean | undefined;
  readonly now: () => number;
  /** Test hook: told `gc-started` and `gc-roots-read` (see cli/test-hooks.ts). */
  readonly crashPoint?: ((point: string) => void) | undefined;
}

const EMPTY: GcTally = { records: 0, blobs: 0, bytes: 0 };
/** gc holds its mutex for as long as the scan and the unlinks take. */
const GC_STALE_MS = 10 * 60_000;
/** A blob no record names, younger than this, may be a run's download about to get its record. */
const UNRECORDED_BLOB_MS = 10 * 60_000;
/**
 * A record used more recently than this may be a cache hit in progress: kept, by age and by size.
 * A hit bumps its record at most once per {@link TOUCH_AFTER_MS} (touch.ts), so a record it is
 * using may look that old; the rest is the time a hit may take from its record to its blob.
 */
const IN_USE_MS = TOUCH_AFTER_MS + 10 * 60_000;

/** Prune the cache at `root` (absolute). A missing cache dir is an empty one. */
export async function gcStore(root: string, options: GcOptions): Promise<GcReport> {
  if (!isAbsolute(root))
    throw new StoreError('E_STORE_RELATIVE_PATH', `cache dir must be an absolute path, got ${root}`);
  const exists = await stat(root).then(
    (s) => s.isDirectory(),
    () => false,
  );
  const run = (): Promise<GcReport> => new Collector(root, options).run();
  if (!exists) {
    const empty = { before: EMPTY, removed: EMPTY, after: EMPTY, protected: EMPTY };
    return {
      cacheDir: root,
      dryRun: options.dryRun === true,
      lockFiles: typeof options.lockFiles === 'function' ? await options.lockFiles() : options.lockFiles,
      gitLockFiles: [],
      journalEntries: 0,
      pendingUploads: 0,
      ...empty,
      inUse: 0,
      futureDated: 0,
      inUseMs: IN_USE_MS,
      overLimit: false,
      staleTemps: { files: 0, bytes: 0 },
      staleMemos: { files: 0, bytes: 0 },
      staleHosted: { files: 0, bytes: 0 },
      oldMarkers: 0,
      unparsedLocks: [],
    };
  }
  if (options.dryRun) return run();
  return withFileMutex(join(root, 'gc'), run, {
    ...options,
    staleMs: options.staleMs ?? GC_STALE_MS,
    // gc is what frees a full disk: held by an empty file there (file-mutex.ts), which needs no data block.
    holdWhenFull: true,
    heldBy: 'another kontext gc is pruning this cache',
  });
}

class Collector {
  readonly #records = new Map<string, RecordItem>();
  readonly #blobs = new Map<string, BlobItem>();
  /** Temp files met by the scan of records and blobs (candidates for {@link #staleTemps}). */
  readonly #temps: string[] = [];
  #lockFiles: readonly string[] = [];
  #lockTexts: readonly LockText[] = [];
  #removedRecords = 0;
  #removedBlobs = 0;
  #freed = 0;
  #inUse = 0;

  constructor(
    readonly root: string,
    readonly options: GcOptions,
  ) {}

  async run(): Promise<GcReport> {
    this.options.crashPoint?.('gc-started');
    await this.#scan();
    const keep = await this.#protectedRoots();
    this.#protect(keep);
    const before = this.#tally(() => true);
    const { olderThanMs, maxBytes } = this.options;
    if (olderThanMs !== undefined) await this.#byAge(this.options.now() - olderThanMs);
    if (maxBytes !== undefined) await this.#bySize(maxBytes);
    const after = this.#tally((i) => !i.removed);
    const futureDated = await this.#redate();
    const staleTemps = await this.#staleTemps();
    const { now, dryRun = false } = this.options;
    const staleMemos = await pruneMemos(this.root, { now, dryRun });
    const staleHosted = await pruneHosted(this.root, { now, dryRun });
    const oldMarkers = olderThanMs === undefined ? 0 : await pruneWritten(this.root, { olderThanMs, now, dryRun });
    return {
      cacheDir: this.root,
      dryRun: this.options.dryRun === true,
      lockFiles: this.#lockFiles,
      gitLockFiles: this.#lockTexts.map((l) => l.name),
      journalEntries: keep.journal,
      pendingUploads: keep.pendingUploads,
      before,
      removed: { records: this.#removedRecords, blobs: this.#removedBlobs, bytes: this.#freed },
      after,
      protected: this.#tally((i) => i.protected && !i.removed),
      inUse: this.#inUse,
      futureDated,
      inUseMs: IN_USE_MS,
      overLimit: maxBytes !== undefined && after.bytes > maxBytes,
      staleTemps,
      staleMemos,
      staleHosted,
      oldMarkers,
      unparsedLocks: keep.unparsedLocks.map(({ file, error }) => ({
        file,
        message: error.message,
        hint: error.hint ?? '',
      })),
    };
  }

  /** Remove (or count, in a dry run) the day-old temp files of crashed writes. */
  async #staleTemps(): Promise<GcTemps> {
    const now = this.options.now();
    // A dead run's intent's request id in a temp stays with the intent (journal-id-temp.ts).
    const journal = await listIn(layout.journal(this.root));
    const idTemps = await idTempsIn(journal);
    const hosted = await Promise.all((await listIn(layout.hosted(this.root))).map(({ path }) => listIn(path)));
    const siblings = [
      ...journal.filter(({ name }) => !idTemps.has(name)),
      ...(await listIn(memoDirOf(this.root))),
      ...hosted.flat(),
    ].filter(({ name }) => isTempName(name));
    const candidates = [...this.#temps, ...siblings.map((t) => t.path)];
    for (const { path } of await listIn(layout.tmp(this.root))) candidates.push(path);
    let files = 0;
    let bytes = 0;
    for (const path of candidates) {
      const info = await fileInfo(path);
      if (info === null || !isStaleTemp(basename(path), info.mtimeMs, now)) continue;
      if (!this.options.dryRun)
        await unlink(path).catch((e: unknown) => {
          if (!isCode(e, 'ENOENT')) throw e;
        });
      files++;
      bytes += info.size;
    }
    return { files, bytes };
  }

  /** What the journal, the notes of uploads still due and the lock files need, read after the scan (gc-roots.ts). */
  async #protectedRoots(): Promise<GcRoots> {
    const { lockFiles } = this.options;
    this.#lockFiles = typeof lockFiles === 'function' ? await lockFiles() : lockFiles;
    this.#lockTexts = (await this.options.lockTexts?.()) ?? [];
    const roots = await readGcRoots(this.root, this.#lockFiles, this.#lockTexts);
    this.options.crashPoint?.('gc-roots-read');
    return roots;
  }

  /** Every record (with the blobs it needs) and blob in the cache, none protected yet. */
  async #scan(): Promise<void> {
    let records = await listFanOut(layout.records(this.root));
    // Claims left by a gc that died deciding (gc-claim.ts): put back, as nothing proved them unused.
    const claims = this.options.dryRun ? [] : records.filter(({ name }) => isClaim(name));
    for (const { path } of claims) await restoreClaim(path);
    if (claims.length > 0) records = await listFanOut(layout.records(this.root));
    for (const { name, path } of records) {
      if (isTempName(name)) this.#temps.push(path);
      if (!name.endsWith('.json') || !isSha256Hex(name.slice(0, -5))) continue;
      const key = name.slice(0, -5);
      const info = this.#dated(await fileInfo(path));
      if (!info) continue;
      const record = await readJsonOrNull(path, RunRecordSchema);
      const blobs = record !== null && record.key === key ? recordBlobs(record) : [];
      this.#records.set(key, { kind: 'record', path, ...info, blobs, protected: false, removed: false });
    }
    for (const { name, path } of await listFanOut(layout.blobs(this.root))) {
      if (isTempName(name)) this.#temps.push(path);
      if (!isSha256Hex(name)) continue;
      const info = this.#dated(await fileInfo(path));
      if (info) this.#blobs.set(name, { kind: 'blob', path, ...info, refs: 0, protected: false, removed: false });
    }
  }

  /** A scanned file's dates (see {@link Item}). */
  #dated(info: { readonly size: number; readonly mtimeMs: number } | null) {
    if (info === null) return null;
    const now = this.options.now();
    const future = isFutureDated(info.mtimeMs, now);
    // Outside the in-use window by a minute: utimes may round, and a clock may stand still (tests).
    return { ...info, usedMs: future ? now - IN_USE_MS - TOUCH_AFTER_MS : info.mtimeMs, future };
  }

  /**
   * Date the future-dated entries kept to now, on disk (not in a dry run), so they age from now.
   * Now, not their `usedMs`: a hit that dated one to now between the check and the write keeps
   * its mark (a time as late), and a second gc cannot claim the record it is reading. Returns
   * how many there were.
   */
  async #redate(): Promise<number> {
    const future = [...this.#records.values(), ...this.#blobs.values()].filter((i) => i.future);
    if (!this.options.dryRun)
      for (const i of future) if (!i.removed) await redateUnmoved(i.path, i.mtimeMs, this.options.now());
    return future.length;
  }

  /** Mark what the journal and the lock files need, with the blobs of those records; count each blob's records. */
  #protect(keep: { keys: Set<string>; blobs: Set<string> }): void {
    for (const [key, r] of this.#records) {
      r.protected = keep.keys.has(key);
      if (r.protected) for (const b of r.blobs) keep.blobs.add(b);
    }
    for (const [name, b] of this.#blobs) b.protected = keep.blobs.has(name);
    for (const r of this.#records.values()) {
      for (const b of r.blobs) {
        const blob = this.#blobs.get(b);
        if (blob) blob.refs++;
      }
    }
    const used = this.options.now() - IN_USE_MS;
    for (const r of this.#records.values()) {
      if (r.protected || r.future || r.usedMs < used) continue;
      r.recent = true;
      this.#inUse++;
    }
    const recent = this.options.now() - UNRECORDED_BLOB_MS;
    for (const b of this.#blobs.values()) {
      // A blob no record names yet, dated in the future, may be a download this very minute on a
      // disk whose server's clock runs ahead (NFS, SMB stamp new files by theirs): kept as one.
      if (b.refs > 0 || b.protected || (!b.future && b.usedMs < recent)) continue;
      b.pending = true;
      this.#inUse++;
    }
  }

  async #byAge(cutoffMs: number): Promise<void> {
    const old = (i: Item): boolean => !i.protected && !i.removed && i.usedMs < cutoffMs;
    const oldRecord = (r: RecordItem): boolean => old(r) && r.recent !== true;
    for (const r of sortedByUse([...this.#records.values()].filter(oldRecord))) await this.#dropRecord(r, old);
    const unused = (b: BlobItem): boolean => old(b) && b.refs === 0 && !b.pending;
    for (const b of sortedByUse([...this.#blobs.values()].filter(unused))) await this.#drop(b);
  }

  async #bySize(maxBytes: number): Promise<void> {
    let total = this.#tally((i) => !i.removed).bytes;
    if (total <= maxBytes) return;
    const candidates = sortedByUse<RecordItem | BlobItem>([
      ...[...this.#records.values()].filter((r) => !r.protected && !r.removed && r.recent !== true),
      ...[...this.#blobs.values()].filter((b) => !b.protected && !b.removed && !b.pending && b.refs === 0),
    ]);
    for (const item of candidates) {
      if (total <= maxBytes) return;
      const freedBefore = this.#freed;
      if (item.kind === 'record') await this.#dropRecord(item, () => true);
      else if (!item.removed && item.refs === 0) await this.#drop(item);
      total -= this.#freed - freedBefore;
    }
  }

  /** The record, then its blob when nothing else needs it and `blobMayGo` says so. */
  async #dropRecord(r: RecordItem, blobMayGo: (b: BlobItem) => boolean): Promise<void> {
    if (!(await this.#drop(r))) return;
    for (const b of r.blobs) {
      const blob = this.#blobs.get(b);
      if (!blob) continue;
      blob.refs--;
      if (blob.refs === 0 && !blob.protected && !blob.removed && blobMayGo(blob)) await this.#drop(blob);
    }
  }

  /** Unlink one item unless it was used since the scan. Returns whether it is gone. */
  async #drop(item: RecordItem | BlobItem): Promise<boolean> {
    const unlinked = (): Promise<boolean> =>
      item.kind === 'record' ? unlinkClaimed(item.path, item.mtimeMs) : unlinkUnmoved(item.path, item.mtimeMs);
    if (!this.options.dryRun && !(await unlinked())) {
      this.#inUse++;
      return false;
    }
    item.removed = true;
    this.#freed += item.size;
    if (item.kind === 'record') this.#removedRecords++;
    else this.#removedBlobs++;
    return true;
  }

  #tally(which: (i: Item) => boolean): GcTally {
    const records = [...this.#records.values()].filter(which);
    const blobs = [...this.#blobs.values()].filter(which);
    const bytes = [...records, ...blobs].reduce((n, i) => n + i.size, 0);
    return { records: records.length, blobs: blobs.length, bytes };
  }
}
