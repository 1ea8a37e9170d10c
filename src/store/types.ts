/**
 * Store contracts: content-addressed blobs, run records by cache key, the journal, the lock file.
 * Field names in records and the lock are snake_case because they are written to disk as-is.
 */
import type { WrittenOutputs } from './written.js';
import type { BlobCopy } from './blob-thread.js';

/** A finished remote run, stored under its cache key. Errors are never recorded. */
export interface RunRecord {
  readonly key: string;
  /** Node id that produced it (informational; the key is what matters). */
  readonly node: string;
  readonly provider: string;
  readonly model: string;
  readonly seed: number;
  readonly input_sha256: string;
  readonly output_sha256: string;
  /** e.g. `image/png` */
  readonly media_type: string;
  /** File extension without the dot, e.g. `png`. */
  readonly ext: string;
  readonly request_id: string;
  /** The provider's output URL, reusable downstream while fresh. */
  readonly output_url?: string | undefined;
  /** ISO-8601. */
  readonly finished_at: string;
  /** The prompt as keyed (NFC, trimmed), so `--explain` can say what changed. */
  readonly prompt?: string | undefined;
  /** The params as keyed (aspect_ratio included). */
  readonly params?: Readonly<Record<string, unknown>> | undefined;
  /** The list price of the request that made it, in USD, when the run knew it (the report's cost). */
  readonly cost_usd?: number | undefined;
  /** How much the output changed (src/review/); absent in records written before it existed. */
  readonly review?: RunReview | undefined;
}

/** A node's change review (docs/architecture.md#change-maps-and-drift). Never part of the lock. */
export interface RunReview {
  /** e.g. `cie76-lab`: the per-pixel difference measured. */
  readonly metric: string;
  /** A pixel counts as changed above this difference. */
  readonly threshold: number;
  /** % of pixels changed against this node's input (0–100). */
  readonly changed_pct: number;
  /** % changed against the chain's original source; `null` when that is not a local file. */
  readonly chain_changed_pct: number | null;
  /** The change map (a PNG heat map with alpha) as a blob in the store. */
  readonly map_sha256: string;
  /** Size the images were compared at (and of the map). */
  readonly width: number;
  readonly height: number;
  /**
   * How the input was laid on the output's box when their aspect ratios differ: stretched
   * (`fill`) or fitted inside (`contain`); absent when centre-cropped (`cover`, the default).
   */
  readonly fit?: 'fill' | 'contain' | undefined;
}

/**
 * A request about to be, or already, submitted (and paid for) but not yet recorded. Written
 * durably twice: as an intent (no `request_id`) before the submit leaves, then with the
 * request id before polling. An intent left by a dead process means "maybe paid".
 */
export interface JournalEntry {
  readonly key: string;
  readonly node: string;
  readonly provider: string;
  readonly model: string;
  readonly seed: number;
  readonly input_sha256: string;
  /** Absent while it is an intent: the submit has not (yet) returned an id. */
  readonly request_id?: string | undefined;
  /** sha256 of the canonical submit body (model, prompt, image URL, seed, params). */
  readonly body_sha256?: string | undefined;
  /**
   * sha256 of the request without its seed (as a lock entry's `request_sha256`): a renamed node
   * asking the same takes this paid request's seed and re-attaches to it (run/orphans.ts).
   */
  readonly request_sha256?: string | undefined;
  /** The process that wrote it, and its run within that process: a live owner is waited for, never raced. */
  readonly pid?: number | undefined;
  /** That process's tag (util/process-tag.ts): a pid reused since (after a reboot) is not taken for it. */
  readonly proc?: string | undefined;
  readonly run?: string | undefined;
  /** The lock file of the recipe run that wrote it (absent for `kontext edit`): its own nodes' requests. */
  readonly lock?: string | undefined;
  /**
   * The request id of the lock's entry of the node this request is to replace, as the run that wrote
   * it planned (`null`: the lock held none): a paid request the lock lacks is taken over the lock only
   * while the lock still holds that entry (run/paid-unlocked.ts). Absent in entries written before it
   * existed, and for `kontext edit`.
   */
  readonly replaces?: string | null | undefined;
  /**
   * The intent's own token (a random UUID), kept in the entry its request id completes: which temp
   * holding a request id is this intent's (journal-id-temp.ts), not told by two wall-clock times.
   */
  readonly attempt?: string | undefined;
  /** ISO-8601: when the intent (or the submit) was written. */
  readonly submitted_at: string;
  /**
   * ISO-8601, on an intent only: the API refused its last attempt and the next is not sent yet
   * (run/submit-between.ts's `refusedMeanwhile`): nothing is on the wire, so its run's death leaves
   * nothing maybe paid.
   */
  readonly refused_at?: string | undefined;
}

/** What {@link Journal.claim} found: the key was free and the intent is ours, or who holds it. */
type JournalClaim = { readonly claimed: true } | { readonly claimed: false; readonly holder: JournalEntry };

export interface Journal {
  /**
   * Durably record a submitted request, or replace an entry (fsync before resolving).
   * `beforeRename`: called with the entry complete in its temp, just before the rename (a test hook).
   */
  add(entry: JournalEntry, options?: { readonly beforeRename?: (() => void) | undefined }): Promise<void>;
  /**
   * Durably create the entry only if the key has none (exclusive, across processes); otherwise
   * report the entry that is there.
   */
  claim(entry: JournalEntry): Promise<JournalClaim>;
  get(key: string): Promise<JournalEntry | null>;
  /**
   * Drop the entry for `key`; with `requestId`, only while it is that request's (a newer
   * request for the same key, say from a later watch cycle, keeps its entry); with `null`,
   * only while it is an intent written by `run` (no request id yet).
   */
  remove(key: string, requestId?: string | null, run?: string): Promise<void>;
  list(): Promise<JournalEntry[]>;
  /**
   * Write again, durably, the entries this process wrote and has not removed whose files are gone
   * (the cache dir deleted during a run); resolves to how many (0: nothing was missing).
   */
  restore(): Promise<number>;
  /** Claims are coming (a run has requests to submit): make ready what makes them fast (claim-thread.ts). */
  expectClaims(): void;
}

export interface Store {
  /** The cache dir (e.g. `<project>/.kontext`). */
  readonly root: string;
  /** Where the blob with this sha256 lives (whether or not it exists). */
  blobPath(sha256: string): string;
  hasBlob(sha256: string): Promise<boolean>;
  /** Store bytes; returns their sha256. */
  putBlob(bytes: Uint8Array): Promise<string>;
  /**
   * Move a complete temp file (from {@link Store.tempPath}) with a known sha256 into the store; `synced`: the writer
   * already flushed it to disk, or the blob can be rebuilt from elsewhere (run/adopt.ts); else it is fsynced here.
   * `durable` (a paid result): the new name is fsynced in its folder too, so a power cut cannot lose it.
   */
  adoptBlob(
    tempFile: string,
    sha256: string,
    options?: { readonly synced?: boolean; readonly durable?: boolean },
  ): Promise<string>;
  /**
   * Copy a local file whose sha256 the caller knows into the store, unless that blob is there.
   * Synchronous and not fsynced: only for results that can be rebuilt (run/adopt.ts).
   */
  copyInBlob(path: string, sha256: string): void;
  /**
   * {@link Store.copyInBlob} for many files (blob-thread.ts: on a worker thread from 512 on),
   * yielding as they land the indexes of those now in the store; one that cannot be copied is
   * left out.
   */
  copyInBlobs(items: readonly BlobCopy[]): AsyncIterable<readonly number[]>;
  /** A fresh temp path inside the store (same filesystem as the blobs). */
  tempPath(hint?: string): string;
  getRecord(key: string): Promise<RunRecord | null>;
  /**
   * `rebuildable`: the record is rebuilt from the lock (run/adopt.ts), so it is not fsynced;
   * `blocking: false`: such a record written in async calls, off the event loop (records.ts).
   */
  putRecord(
    record: RunRecord,
    options?: { readonly rebuildable?: boolean; readonly blocking?: boolean },
  ): Promise<void>;
  /** sha256 and size of a local file, remembered by (path, size, mtime) so unchanged files are not re-read. */
  hashSource(path: string): Promise<{ readonly sha256: string; readonly bytes: number }>;
  readonly journal: Journal;
  /** Which bytes kontext wrote at which output path (written.ts): the hand-edit rule's memory. */
  readonly written: WrittenOutputs;
  /**
   * Persist the source-hash memo (atomically; last writer wins when processes share the dir) and
   * wait for the output markers under way (written.ts). Call at the end of a run; a crash before it
   * only costs a re-hash next time (and a stricter hand-edit check: a marker is a hint).
   */
  flush(): Promise<void>;
}

/** One node's entry in `<recipe-stem>.lock.json`. */
export interface LockEntry {
  readonly seed: number;
  readonly key: string;
  readonly input_sha256: string;
  readonly output_sha256: string;
  /** Output path relative to the lock file's folder, with `/` separators. */
  readonly output: string;
  readonly provider: string;
  readonly model: string;
  readonly request_id: string;
  readonly finished_at: string;
  /**
   * Hash of the request without its seed (provider, model, prompt, input, params): lets a
   * renamed node take over this entry's seed. Absent in locks written before it existed.
   */
  readonly request_sha256?: string | undefined;
}

export interface LockFile {
  readonly version: 1;
  readonly nodes: Readonly<Record<string, LockEntry>>;
}
