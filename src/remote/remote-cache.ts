/**
 * One remote cache for a run context: look-ups (bounded, deduplicated by key) and uploads in
 * the background (bounded), with the rules that keep it from ever failing a run:
 * - a missing object is a miss; a rejected record or blob is a miss with a warning;
 * - AccessDenied on a read is a miss (S3 answers 403 for a missing key without s3:ListBucket),
 *   said once; on a write, the credentials are read-only: uploads stop, said once;
 * - a paid result not uploaded (uploads off or denied, the remote off, Ctrl-C) keeps its note
 *   (pending.ts): the next run with this remote and write access uploads it;
 * - anything else (bad credentials, no bucket, the service down) turns the remote off for the
 *   rest of the context, with one warning.
 * From the moment no result can reach the remote in this context (off, uploads denied, or off by
 * choice), {@link RemoteCache.lost} says so: a `--shard` run then submits nothing more.
 * Ctrl-C (the context's signal) stops look-ups; uploads stop at `uploadSignal` (a few seconds
 * later: pool.ts), which aborts what is on the wire and drops what is queued: the local store
 * already holds everything, and the results not sent are noted there for the next run
 * (pending.ts).
 */
import pLimit from 'p-limit';
import type { RunRecord, Store } from '../store/types.js';
import { RemoteCacheError, type RemoteLost } from './errors.js';
import type { RemoteCacheDeps, RemoteStats } from './types.js';
import { fetchRemote } from './fetch.js';
import { WRITE_CHECK_BODY, writeCheckObject } from './location.js';
import { peekRemote } from './peek.js';
import { PendingUploads } from './pending.js';
import { uploadResult } from './upload.js';

/** Look-ups at once: S3 answers small GETs in parallel well; the local disk is the other bound. */
const LOOKUP_CONCURRENCY = 32;
const UPLOAD_CONCURRENCY = 4;
/** A key that just missed is not asked again this soon (a claim waiting on another run polls every 100 ms). */
const MISS_RECHECK_MS = 1000;

export class RemoteCache {
  readonly stats: RemoteStats = { hits: 0, misses: 0, rejected: 0, uploaded: 0 };
  readonly #lookups = pLimit(LOOKUP_CONCURRENCY);
  readonly #uploads = pLimit(UPLOAD_CONCURRENCY);
  readonly #inflight = new Map<string, Promise<RunRecord | null>>();
  readonly #missedAt = new Map<string, number>();
  /** Keys whose remote record or blob was refused: not fetched (nor reported) again. */
  readonly #refused = new Set<string>();
  readonly #pending = new Set<Promise<void>>();
  /** Notes being written for results not uploaded in this context (uploads off: {@link upload}). */
  readonly #marking = new Set<Promise<void>>();
  /** Keys queued for upload in this context: a record stored again (say, with its review added) is not sent twice. */
  readonly #queued = new Set<string>();
  /** Keys this context took from the remote: it has them ({@link ensure}). */
  readonly #taken = new Set<string>();
  /** Keys whose upload note is written ({@link note}). */
  readonly #noted = new Set<string>();
  readonly #notes: PendingUploads;
  /** Local stores whose notes were read ({@link resume}). */
  readonly #resumed = new Set<string>();
  #unsent = 0;
  /** Paid results that will not reach this remote in this context: uploads off or denied. */
  #kept = 0;
  /** Results unfit for any remote (said as each is found): sending again cannot help. */
  #unfit = 0;
  #off = false;
  #readOnly: boolean;
  #deniedRead = false;
  readonly #lost = new AbortController();
  #writeCheck: Promise<void> | undefined;

  constructor(readonly deps: RemoteCacheDeps) {
    this.#readOnly = !deps.upload;
    this.#notes = new PendingUploads(deps.bucket.location.url);
    if (this.#readOnly) this.#lose('read-only', 'is named by the recipe and not by your user config: used read-only');
  }

  get url(): string {
    return this.deps.bucket.location.url;
  }

  /** The result for `key` from the remote, stored locally first; `null` on a miss or whatever went wrong. */
  lookup(key: string, store: Store): Promise<RunRecord | null> {
    return this.#ask(key, store, 'take');
  }

  /**
   * The record the remote holds for `key`, checked as {@link lookup} checks it (its blob only
   * for being there: peek.ts), with nothing stored locally: what `kontext status` reports.
   */
  peek(key: string, store: Store): Promise<RunRecord | null> {
    return this.#ask(key, store, 'peek');
  }

  #ask(key: string, store: Store, mode: 'take' | 'peek'): Promise<RunRecord | null> {
    if (this.#off || this.deps.signal?.aborted || this.#refused.has(key)) return Promise.resolve(null);
    const missed = this.#missedAt.get(key);
    if (missed !== undefined && this.deps.now() - missed < MISS_RECHECK_MS) return Promise.resolve(null);
    let running = this.#inflight.get(key);
    if (!running) {
      running = this.#lookups(() => this.#fetch(key, store, mode)).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, running);
    }
    return running;
  }

  async #fetch(key: string, store: Store, mode: 'take' | 'peek'): Promise<RunRecord | null> {
    if (this.#off || this.deps.signal?.aborted) return null;
    try {
      const { bucket, signal } = this.deps;
      const got = await (mode === 'take' ? fetchRemote : peekRemote)(bucket, key, store, signal);
      if (got.kind === 'hit') {
        this.stats.hits++;
        this.#taken.add(key);
        this.#missedAt.delete(key);
        return got.record;
      }
      if (got.kind === 'rejected') {
        this.#refused.add(key);
        this.stats.rejected++;
        this.deps.warn(got.why);
      } else this.stats.misses++;
    } catch (e) {
      if (e instanceof RemoteCacheError && e.kind === 'refused') this.#refused.add(key);
      this.#failed(e, 'read');
    }
    this.#missedAt.set(key, this.deps.now());
    return null;
  }

  /**
   * Note in the local cache (pending.ts) that `record` is to be uploaded, before its local record
   * is written: until the remote has it, a later run with this remote sends it, even when this
   * one is killed before {@link upload} is called. Noted with uploads off too (read-only keys, an
   * untrusted recipe's remote): a later run with write access sends it.
   */
  async note(record: RunRecord, store: Store): Promise<void> {
    if (!this.#queued.has(record.key)) await this.#mark(record, store);
  }

  /** Write `record`'s note unless this context has (or found it written: {@link resume}). */
  #mark(record: RunRecord, store: Store): Promise<void> {
    if (this.#noted.has(record.key)) return Promise.resolve();
    this.#noted.add(record.key);
    return this.#notes.mark(store, record.key, this.#refused.has(record.key));
  }

  /**
   * Upload a paid result in the background (see {@link drain}). It is noted in the local cache
   * first ({@link note}, unless already), and the note is cleared only once the remote has it (or
   * it is unfit for any remote): a result not sent (denied, the remote down, Ctrl-C) keeps its
   * note, and a later run with write access sends it.
   */
  upload(record: RunRecord, store: Store): void {
    if (this.#queued.has(record.key)) return;
    this.#queued.add(record.key);
    if (this.#readOnly) {
      this.#kept++;
      this.#track(this.#mark(record, store));
      return;
    }
    const job = this.#mark(record, store)
      .then(() => this.#uploads(() => this.#send(record, store)))
      .then(async (outcome) => {
        if (outcome === 'settled') await this.#notes.clear(store, record.key);
        else if (outcome === 'unsent') this.#unsent++;
      });
    this.#pending.add(job);
    void job.finally(() => this.#pending.delete(job));
  }

  /**
   * Make sure the remote has `record`, a result this run took from the local cache (a `--shard`
   * run: its results must reach the assemble run, and a local hit may never have been uploaded:
   * paid before the remote was set up, on a `--no-remote` run, its note lost). Its remote record
   * is read and checked as a look-up checks it, and its blob asked for (the local copy proves
   * nothing about the bucket's); when either is missing or refused, the result is uploaded as a
   * paid one is ({@link upload}: noted first, a refused record replaced, counted in
   * {@link missing} when it cannot be sent). Bounded as look-ups are; not counted in
   * {@link pending} (no upload yet). Nothing for a result this context took from the remote or
   * queued already.
   */
  ensure(record: RunRecord, store: Store): void {
    const { key } = record;
    if (this.#queued.has(key) || this.#taken.has(key)) return;
    this.#queued.add(key);
    const job = this.#lookups(async () => {
      if (this.deps.signal?.aborted) {
        // Ctrl-C: nothing new is sent; noted, so a later run with this remote sends it.
        this.#unsent++;
        return this.#mark(record, store);
      }
      if (!this.#off && (await this.#holds(key, store))) return;
      this.#queued.delete(key);
      this.upload(record, store); // the remote off: counted as unsent, its note kept
    });
    this.#track(job.catch(() => undefined));
  }

  /** Whether the remote holds a usable result for `key` (record checked, blob there); one refused is to be replaced. */
  async #holds(key: string, store: Store): Promise<boolean> {
    try {
      const { bucket, signal } = this.deps;
      const got = await peekRemote(bucket, key, store, signal, true); // the local blob proves nothing here
      if (got.kind === 'hit') return true;
      if (got.kind === 'rejected') {
        this.#refused.add(key); // a refused record or a lost blob: the upload writes both again (see #send)
        this.deps.warn(`${got.why}; this machine's result replaces it`);
      }
    } catch (e) {
      // A record refused on reading (over its size cap, say) is replaced too, as a look-up's is.
      if (e instanceof RemoteCacheError && e.kind === 'refused') this.#refused.add(key);
      this.#failed(e, 'read');
    }
    return false;
  }

  /**
   * `settled`: no later upload is needed (sent, there already, or unfit: said); `unsent`: the
   * remote off or Ctrl-C, a later run sends it; `kept`: uploads denied, a later run with write
   * access sends it. Only `settled` clears the result's note.
   */
  async #send(record: RunRecord, store: Store): Promise<'settled' | 'unsent' | 'kept'> {
    if (this.#readOnly) return this.#keep();
    const signal = this.deps.uploadSignal ?? this.deps.signal;
    if (this.#off || signal?.aborted) return 'unsent';
    try {
      // A record this run refused (its blob gone or not an image) is replaced by this result.
      const replace = this.#refused.has(record.key);
      const done = await uploadResult(this.deps.bucket, record, store, { replace, signal });
      if (done.sent) this.stats.uploaded++;
      else if (done.why) {
        this.deps.warn(`not uploaded to ${this.url}: ${record.node}: ${done.why}`);
        this.#unfit++;
      }
      return 'settled';
    } catch (e) {
      this.#failed(e, 'write');
      return this.#readOnly ? this.#keep() : 'unsent';
    }
  }

  /** A result uploads were denied for: counted as missing; its note stays for a run with write access. */
  #keep(): 'kept' {
    this.#kept++;
    return 'kept';
  }

  /**
   * Background work that is not an upload (a note, an {@link ensure}'s check), waited for by
   * {@link drain}; not counted in {@link pending}.
   */
  #track(work: Promise<void>): void {
    this.#marking.add(work);
    void work.finally(() => this.#marking.delete(work));
  }

  /**
   * Queue again the results an earlier run with this remote noted and did not upload (once per
   * local store); said in one line when there are any.
   */
  async resume(store: Store): Promise<void> {
    if (this.#readOnly || this.#resumed.has(store.root)) return;
    this.#resumed.add(store.root);
    let queued = 0;
    for (const { key, replace } of await this.#notes.list(store)) {
      // Refused by the run that paid: its upload replaces the remote's record (see #send).
      if (replace) this.#refused.add(key);
      const record = await store.getRecord(key).catch(() => null);
      if (record === null) await this.#notes.clear(store, key);
      else {
        this.#noted.add(key); // on disk already: not written again
        this.upload(record, store);
        queued++;
      }
    }
    if (queued > 0) this.deps.notice(`remote cache ${this.url}: uploading ${plural(queued)} an earlier run left`);
  }

  /**
   * Before a `--shard` run's first submit: write the remote's one fixed object (location.ts's
   * `writeCheckObject`), so credentials that may not write are found before anything is paid, not
   * at the first upload, the run's first `-j` requests paid by then. Its failure turns uploads off
   * as an upload's would ({@link lost}). Once per context; nothing when uploads are off already.
   */
  checkWrite(): Promise<void> {
    if (this.#readOnly || this.#off) return Promise.resolve();
    const signal = this.deps.uploadSignal ?? this.deps.signal;
    this.#writeCheck ??= this.deps.bucket
      .write(writeCheckObject(this.deps.bucket.location), WRITE_CHECK_BODY, 'text/plain', signal)
      .catch((e: unknown) => this.#failed(e, 'write'));
    return this.#writeCheck;
  }

  /** Results queued for upload that ended without it (Ctrl-C, the remote off): a later run sends them. */
  get unsent(): number {
    return this.#unsent;
  }

  /**
   * Results this context paid for that the remote does not have at the end: {@link unsent}, plus
   * those uploads were denied for or that were unfit for it. A `--shard` run fails on them.
   */
  get missing(): number {
    return this.#unsent + this.#kept + this.#unfit;
  }

  /** Of {@link missing}, those unfit for any remote (not an image, a blob not matching its name). */
  get unfit(): number {
    return this.#unfit;
  }

  /** Uploads are off for this remote: read-only by choice (an untrusted recipe's remote) or denied. */
  get uploadsOff(): boolean {
    return this.#readOnly;
  }

  /**
   * Aborted once no result of this context can reach the remote any more: the remote turned off
   * (not usable), uploads denied, or off from the start (a recipe's remote used read-only). Its
   * reason is a {@link RemoteLost}. A `--shard` run stops submitting then (run/shard.ts).
   */
  get lost(): AbortSignal {
    return this.#lost.signal;
  }

  #lose(kind: RemoteLost['kind'], why: string): void {
    if (!this.#lost.signal.aborted) this.#lost.abort({ url: this.url, kind, why } satisfies RemoteLost);
  }

  /** Uploads not yet finished. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Wait for the uploads still going (those queued at Ctrl-C only until the uploads' grace ends). */
  async drain(): Promise<void> {
    // An ensure's check may queue an upload as it ends: until both are empty.
    while (this.#pending.size > 0 || this.#marking.size > 0) await Promise.all([...this.#pending, ...this.#marking]);
  }

  close(): void {
    this.deps.bucket.close();
  }

  #failed(e: unknown, op: 'read' | 'write'): void {
    if (this.deps.signal?.aborted) return;
    // A local failure (the blob gone, a full disk) concerns this result only.
    if (!(e instanceof RemoteCacheError)) {
      this.deps.warn(
        `remote cache ${this.url}: ${op === 'read' ? 'a look-up' : 'an upload'} failed here: ${message(e)}`,
      );
      return;
    }
    if (e.kind === 'refused') {
      this.deps.warn(`remote cache ${this.url}: ${e.message}; not used`);
      return;
    }
    if (e.kind !== 'denied') {
      if (this.#off) return;
      this.#off = true;
      const then = this.deps.lostStopsSubmits ? 'submitting nothing more' : 'going on without it';
      this.deps.warn(`remote cache ${this.url} is not usable (${message(e)}); ${then}`);
      this.#lose('unusable', `is not usable (${message(e)})`);
      return;
    }
    if (op === 'write') {
      if (this.#readOnly) return;
      this.#readOnly = true;
      this.#lose('denied', 'denied the uploads (read-only credentials)');
      this.deps.notice(
        `remote cache ${this.url}: uploads denied (read-only credentials); results stay local, ` +
          'and the next run with write access uploads them',
      );
    } else if (!this.#deniedRead) {
      this.#deniedRead = true;
      this.deps.notice(
        `remote cache ${this.url}: a read was denied; treated as a miss (grant s3:GetObject and s3:ListBucket)`,
      );
    }
  }
}

function plural(n: number): string {
  return `${n} result${n === 1 ? '' : 's'}`;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
