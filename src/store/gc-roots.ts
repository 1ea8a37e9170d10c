/**
 * What `kontext gc` keeps whatever the limits (gc.ts): the keys and blobs that the journal, the
 * notes of uploads still due to a remote cache and the lock files name, read after gc's scan of
 * the cache (see gc.ts's header for why that order makes it safe beside a run).
 */
import { join } from 'node:path';
import { listDir } from './list-dir.js';
import { isSha256Hex, layout } from './layout.js';
import { LockFileError } from './errors.js';
import { lockFileText, type LockState, lockStateOf } from './lock-file.js';
import { readJsonOrNull } from './read-json.js';
import { JournalEntrySchema } from './schemas.js';

/**
 * A lock file that is not in the work tree: one of another git branch or a stash (run/git-locks.ts),
 * named `<ref>:<path>`. One that does not parse protects what its text names ({@link readGcRoots}),
 * without a warning: it is history.
 */
export interface LockText {
  readonly name: string;
  readonly text: string;
}

export interface GcRoots {
  /** Record keys to keep (with the blobs those records need). */
  readonly keys: Set<string>;
  /** Blobs to keep. */
  readonly blobs: Set<string>;
  /** Journal entries found. */
  readonly journal: number;
  /** Notes of uploads still due (`remote-pending/<key>`) found. */
  readonly pendingUploads: number;
  /** The work tree's lock files that do not parse, each kept by its text: why, for a warning. */
  readonly unparsedLocks: readonly { readonly file: string; readonly error: LockFileError }[];
}

/** A sha256 in hex standing alone in a text (a lock's keys and blob hashes, however the JSON around them is broken). */
const SHA256_IN_TEXT = /(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])/g;

/**
 * A lock file that does not parse (a newer kontext's fields, a damaged or hand-edited file, a
 * node held twice) stops nothing: every sha256 its text holds is kept, as a record key and as a
 * blob, so what it names is kept as a parsed lock's would be (a newer kontext's whole; of a file
 * cut short, what is left), and a work tree's is reported (`unparsedLocks`) for a warning. One
 * this user may not read (exit 66) or too large to be a lock (65) still stops gc: nothing of it
 * can be kept.
 * The journal first: a run drops a node's entry only once its lock entry is on disk, so whatever
 * leaves the journal after this look is in a lock file by the time they are read. Then the notes
 * of uploads still due (remote/pending.ts): a run cut off before its uploads leaves them for the
 * next run with that remote, which sends the record and its blob; pruning those would keep the
 * paid result from the remote for good (every other machine would pay for it again). A note is
 * written before its record and removed after the upload, so a record the scan met whose upload
 * is still due has its note here. By file name only: a note of any remote keeps its record.
 */
export async function readGcRoots(
  root: string,
  lockFiles: readonly string[],
  lockTexts: readonly LockText[] = [],
): Promise<GcRoots> {
  const keys = new Set<string>();
  const blobs = new Set<string>();
  // By file name: even an entry we cannot read keeps its key (and so its record).
  const names = (await listDir(layout.journal(root))).filter((n) => isSha256Hex(n.replace(/\.json$/, '')));
  for (const name of names) {
    const key = name.slice(0, -'.json'.length);
    keys.add(key);
    const entry = await readJsonOrNull(join(layout.journal(root), name), JournalEntrySchema);
    if (entry) blobs.add(entry.input_sha256);
  }
  const pending = (await listDir(layout.remotePending(root))).filter(isSha256Hex);
  for (const key of pending) keys.add(key);
  const protect = (state: LockState): void => {
    // A lock git left conflicted keeps what either side names: a run decides between them later.
    const locks = state.sides === null ? [state.lock] : [state.sides.ours, state.sides.theirs];
    for (const entry of locks.flatMap((lock) => Object.values(lock.nodes))) {
      keys.add(entry.key);
      blobs.add(entry.output_sha256);
      blobs.add(entry.input_sha256);
    }
  };
  const unparsedLocks: { file: string; error: LockFileError }[] = [];
  /** Null when `text` parsed as a lock (protected); else every sha256 in it is kept, and the error returned. */
  const protectText = (text: string, name: string, history: boolean): unknown => {
    try {
      protect(lockStateOf(text, name));
      return null;
    } catch (e) {
      if (!(e instanceof LockFileError) && !history) throw e;
      for (const [hex] of text.matchAll(SHA256_IN_TEXT)) {
        keys.add(hex);
        blobs.add(hex);
      }
      return e;
    }
  };
  for (const file of lockFiles) {
    const text = await lockFileText(file);
    const error = text === null ? null : protectText(text, file, false);
    if (error instanceof LockFileError) unparsedLocks.push({ file, error });
  }
  // Another branch's or a stash's: history, no warning.
  for (const { name, text } of lockTexts) protectText(text, name, true);
  return { keys, blobs, journal: names.length, pendingUploads: pending.length, unparsedLocks };
}
