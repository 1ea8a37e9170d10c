/** What `kontext gc` reports (gc.ts): what it found, kept and removed, or in a dry run would remove. */

/** Files removed (or, in a dry run, that would be) outside the tallies: crash-left temps, memo files. */
export interface GcTemps {
  readonly files: number;
  readonly bytes: number;
}

export interface GcTally {
  readonly records: number;
  readonly blobs: number;
  readonly bytes: number;
}

export interface GcReport {
  readonly cacheDir: string;
  readonly dryRun: boolean;
  /** The lock files read. */
  readonly lockFiles: readonly string[];
  /** The lock files of other git branches and stashes read, as `<ref>:<path>`. */
  readonly gitLockFiles: readonly string[];
  /** Journal entries found: requests in flight, kept with what they need. */
  readonly journalEntries: number;
  /** Notes of uploads still due to a remote cache (`remote-pending/`), their records and blobs kept. */
  readonly pendingUploads: number;
  readonly before: GcTally;
  readonly removed: GcTally;
  readonly after: GcTally;
  /** Kept because a lock file, the journal or an upload still due needs them. */
  readonly protected: GcTally;
  /** Candidates kept because they were used while gc ran, or are recent blobs no record names yet (gc.ts). */
  readonly inUse: number;
  /** Records and blobs whose mtime was in the future: counted as unused since now (gc.ts). */
  readonly futureDated: number;
  /** How recently a record must have been used to be kept as in use, ms (gc.ts `IN_USE_MS`). */
  readonly inUseMs: number;
  /** `maxBytes` was given and what remains is still larger (it is protected or in use). */
  readonly overLimit: boolean;
  /** Day-old temp files of crashed writes (not counted in the tallies). */
  readonly staleTemps: GcTemps;
  /** Source-hash memo files of folders that no longer exist, or unreadable and a day old (`gc-memos.ts`). */
  readonly staleMemos: GcTemps;
  /** Hosting records no run will use: expired, s3 ones keeping a presigned URL, day-old torn ones (`gc-hosted.ts`). */
  readonly staleHosted: GcTemps;
  /** Markers of written outputs (written.ts) not renewed for `olderThanMs`; none without it. */
  readonly oldMarkers: number;
  /** Lock files that do not parse, kept by every sha256 their text holds (gc-roots.ts): file and why. */
  readonly unparsedLocks: readonly { readonly file: string; readonly message: string; readonly hint: string }[];
}
