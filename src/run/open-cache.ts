/**
 * The store a recipe run uses, and the one-time move of an old per-project `.kontext/` cache
 * into it (so upgrading costs no request).
 */
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readlink, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ExitCode, isKontextError, type KontextError } from '../errors.js';
import { StoreError } from '../store/errors.js';
import type { Recipe } from '../recipe/types.js';
import { openStore } from '../store/index.js';
import { unreadableOnce } from '../store/open-store.js';
import { layout } from '../store/layout.js';
import { migrateOldStore } from '../store/migrate.js';
import { createJournal } from '../store/journal.js';
import { readRecordReadOnly } from '../store/records.js';
import type { JournalEntry, Store } from '../store/types.js';

/** An open store, and the stand-in's removal when the cache dir could not be used. */
export interface OpenedStore {
  readonly store: Store;
  /** The warning to show once, or null when the cache dir itself is used. */
  readonly warning: string | null;
  /** Remove a stand-in store (after its last use); nothing for the cache dir itself. */
  discard(): Promise<void>;
}

/**
 * The cache dir at `root`, or, when it cannot be created or written (read-only, a file in the
 * way), a fresh store in the system temp folder for this run only, removed by `discard()`. The
 * rest of the run is unchanged: the lock and the output files are the truth (see adopt.ts), so
 * an up-to-date node is adopted into the stand-in and nothing is paid again; and a result the
 * unwritable cache dir still holds (a CI cache restored read-only) is read from it, its blob
 * checked, and copied into the stand-in rather than paid for again. Its crash journal outlives
 * it: the stand-in's `journal/` is a link to {@link lastingJournal}, so a run killed with requests
 * in flight is re-attached to them by the next, not paid again.
 */
export async function openStoreOrStandIn(
  root: string,
  options: { readonly onWarning?: ((message: string) => void) | undefined } = {},
): Promise<OpenedStore> {
  try {
    const store = await openStore(root, options);
    return { store, warning: null, discard: async () => undefined };
  } catch (e) {
    if (!isKontextError(e) || e.code !== 'E_CACHE_DIR') throw e;
    const temp = await mkdtemp(join(tmpdir(), 'kontext-cache-')).catch(async (t: unknown) => {
      throw await neitherUsable(root, e, t);
    });
    try {
      // Where no link can be made there (a temp folder on a share without symlinks), the run's own.
      const lasting = await lastingJournal(root, temp);
      const journal =
        lasting === null
          ? null
          : await symlink(lasting, layout.journal(temp)).then(
              () => lasting,
              () => null,
            );
      const unreadable = unreadableOnce(root, options.onWarning);
      const store = readingThrough(await openStore(temp, options), root, unreadable);
      // A folder there is read through; a file in the way, or nothing at all, has nothing to read.
      const folder = (await stat(root).catch(() => null))?.isDirectory() === true;
      return {
        store,
        warning:
          `cache dir ${root} is not writable (${(await danglingLink(root)) ?? reasonOf(e.cause)}): ` +
          `${folder ? 'reading it, keeping nothing new there' : 'running without a cache'}; ` +
          (journal === null
            ? "results are still written to out/ and the lock, but the crash journal is only this run's: " +
              'if it is killed, its requests in flight are paid again'
            : `results are still written to out/ and the lock, requests in flight to the crash journal ${journal}`) +
          (folder
            ? "; runs that can write it do not see this run's requests in flight (they may pay for them again)"
            : ''),
        discard: () => rm(temp, { recursive: true, force: true }),
      };
    } catch (t) {
      await rm(temp, { recursive: true, force: true });
      throw await neitherUsable(root, e, t);
    }
  }
}

/**
 * The cache dir cannot be written and no stand-in can be made in the temp folder either (a
 * read-only HOME and a `TMPDIR` a cleanup step removed, or unwritable, or full): one error naming
 * both, exit 73, before anything is paid (walk-ai 1: it was an internal error, exit 70).
 */
async function neitherUsable(root: string, cacheDir: KontextError, temp: unknown): Promise<StoreError> {
  // The stand-in's own store failing (a full temp folder) says why through its cause.
  const why = isKontextError(temp) && temp.code === 'E_CACHE_DIR' ? temp.cause : temp;
  return new StoreError(
    'E_CACHE_DIR',
    `cache dir ${root} is not writable (${(await danglingLink(root)) ?? reasonOf(cacheDir.cause)}), and the ` +
      `temp folder ${tmpdir()} cannot be used for a stand-in: ${reasonOf(why)}`,
    { exitCode: ExitCode.CANT_CREAT, hint: 'set TMPDIR or KONTEXT_CACHE_DIR to a writable folder', cause: temp },
  );
}

/**
 * The crash journal of the stand-ins of the cache dir `root`, `<temp folder>/kontext-journal-<uid>-
 * <hash of root>`, shared by every run of this user that cannot write `root`: it holds an entry only
 * while its request is in flight, so it stays small. Only when it is this user's own folder,
 * unreadable to others (a folder another user made there first, or a link, is not used); null
 * then (the journal is the run's own). `temp`: a folder this user just made, which tells its uid.
 */
async function lastingJournal(root: string, temp: string): Promise<string | null> {
  const { uid } = await stat(temp);
  const of = createHash('sha256').update(resolve(root)).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), `kontext-journal-${uid}-${of}`);
  await mkdir(dir, { mode: 0o700 }).catch(() => undefined);
  const s = await lstat(dir).catch(() => null);
  return s?.isDirectory() === true && s.uid === uid && (s.mode & 0o077) === 0 ? dir : null;
}

/**
 * `standIn`, with a record it lacks read from the cache dir `root` it stands in for (unwritten),
 * and `root`'s journal read too: a request another run (another user's, one that can write
 * `root`) has in flight holds its key, so a claim here waits for its record (read through once
 * it lands) instead of paying for it again; a dead run's entry there is re-attached to or stops
 * the node as its own would. The other way round cannot be had: this run's intents are in a
 * journal of its own, which the runs writing `root` never read (the warning says so).
 */
function readingThrough(standIn: Store, root: string, onUnreadable: (path: string, e: unknown) => void): Store {
  const fromRoot = async (key: string) => {
    const record = await readRecordReadOnly(root, key, (path) => standIn.hashSource(path), onUnreadable);
    if (record === null) return null;
    standIn.copyInBlob(layout.blob(root, record.output_sha256), record.output_sha256);
    await standIn.putRecord(record, { rebuildable: true });
    return standIn.getRecord(key);
  };
  const shared = createJournal(root);
  // The requests there this run has done with (finished, or gone at the API): it cannot remove
  // their entries, so it passes over them from then on (else it would attach to a gone one for ever).
  const done = new Set<string>();
  const open = (e: JournalEntry | null): JournalEntry | null =>
    e !== null && !done.has(`${e.key}:${e.request_id ?? ''}`) ? e : null;
  // An entry there this user may not read says nothing: as if there were none.
  const sharedEntry = async (key: string) => open(await shared.get(key).catch(() => null));
  const { journal } = standIn;
  return {
    ...standIn,
    getRecord: async (key) => (await standIn.getRecord(key)) ?? fromRoot(key),
    journal: {
      ...journal,
      get: async (key) => (await journal.get(key)) ?? sharedEntry(key),
      claim: async (entry) => {
        const holder = await sharedEntry(entry.key);
        return holder === null ? journal.claim(entry) : { claimed: false, holder };
      },
      remove: async (key, requestId, run) => {
        if (typeof requestId === 'string') done.add(`${key}:${requestId}`);
        await journal.remove(key, requestId, run);
      },
    },
  };
}

/**
 * Why a cache dir that is a link to nothing cannot be made, in words: mkdir says EEXIST for it.
 * The folder it leads to is never made: on a disk not mounted (an external one, a network
 * share) that would fill the mount point's own disk instead. Null when `root` is no such link.
 */
async function danglingLink(root: string): Promise<string | null> {
  const to = await readlink(root).catch(() => null);
  if (to === null || (await stat(root).catch(() => null)) !== null) return null;
  return `it is a link to ${resolve(dirname(root), to)}, which does not exist: a disk not mounted?`;
}

/** `ENOTDIR: not a directory` of `ENOTDIR: not a directory, mkdir '/x/y'`. */
function reasonOf(cause: unknown): string {
  const message = cause instanceof Error ? cause.message : String(cause);
  return message.split(',')[0] ?? message;
}

/** Merge `<projectRoot>/.kontext/` into `store` when it is an old cache; the notice to show, or null. */
export async function migrateProjectCache(recipe: Pick<Recipe, 'projectRoot'>, store: Store): Promise<string | null> {
  const old = join(recipe.projectRoot, '.kontext');
  const moved = await migrateOldStore(old, store.root);
  if (moved === null) return null;
  return (
    `moved the old project cache ${old} into ${store.root} (${moved.blobs} images, ${moved.records} results, ` +
    `${moved.journal} pending requests); the cache is now shared by all your projects`
  );
}
