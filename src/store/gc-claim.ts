/**
 * How `kontext gc` (gc.ts) removes a run record without losing one a cache hit is using. A hit
 * marks its record used (its mtime, touch.ts) before it reads the blob (records.ts). gc claims
 * the record first: moves it aside (`<key>.json.gc-claim`), so a hit that marks it from then on
 * finds it gone and takes a miss, never the blob gc removes next; then reads its mtime again:
 * moved since the scan, a hit marked it before the claim and may be reading its blob, so it is
 * put back (unless a run has written the key anew meanwhile). A reader that meets a claim waits
 * for that decision (microseconds) rather than paying for a result that stays (records.ts); a
 * claim still there after a second is a killed gc's, and the reader takes it back itself
 * ({@link takeBackClaim}). Who decides is settled by one atomic step on the claim: gc's unlink of
 * it (then the blob may go) or the reader's rename of it (then gc keeps the blob).
 */
import { link, rename, unlink, utimes } from 'node:fs/promises';
import { tempPathFor } from './atomic.js';
import { isCode, NO_HARD_LINKS } from './errno.js';
import { fileInfo } from './touch.js';

const CLAIM = '.gc-claim';

/** Where gc moves a record while it makes sure no cache hit marked it. */
export function claimPathOf(recordPath: string): string {
  return `${recordPath}${CLAIM}`;
}

export function isClaim(name: string): boolean {
  return name.endsWith(`.json${CLAIM}`);
}

/** Remove the record at `path` unless its mtime moved from `scannedMs` (see above). Returns whether it is gone. */
export async function unlinkClaimed(path: string, scannedMs: number): Promise<boolean> {
  const claim = claimPathOf(path);
  try {
    await rename(path, claim);
  } catch (e) {
    if (isCode(e, 'ENOENT')) return true;
    throw e;
  }
  const now = await fileInfo(claim);
  if (now === null) return false; // a reader took it back (takeBackClaim): it is in use
  if (now.mtimeMs !== scannedMs) {
    await restoreClaim(claim);
    return false;
  }
  try {
    await unlink(claim);
    return true;
  } catch (e) {
    if (isCode(e, 'ENOENT')) return false; // taken back by a reader between the stat and here
    throw e;
  }
}

/**
 * A reader's way out of a claim that stays (its gc was killed between the claim and its
 * decision): the claim is taken by a rename (atomic against gc's unlink: only one of them gets
 * it), then linked back into place, never over a record written anew. Returns whether the
 * claim was there to take (false: gc removed it, a miss).
 */
export async function takeBackClaim(recordPath: string): Promise<boolean> {
  const claim = claimPathOf(recordPath);
  const taken = tempPathFor(claim); // a temp's name: a sweep removes it if this reader dies here
  try {
    await rename(claim, taken);
  } catch (e) {
    if (isCode(e, 'ENOENT')) return false;
    throw e;
  }
  await restoreClaim(taken, recordPath);
  return true;
}

/** Put a claimed record back, unless its key was written anew meanwhile (then the claim just goes). */
export async function restoreClaim(claim: string, recordPath = claim.slice(0, -CLAIM.length)): Promise<void> {
  try {
    await link(claim, recordPath);
  } catch (e) {
    if (isCode(e, ...NO_HARD_LINKS)) return moveBackUnlessWritten(claim, recordPath);
    if (!isCode(e, 'EEXIST', 'ENOENT')) throw e;
  }
  await unlinkIfThere(claim);
}

/**
 * {@link restoreClaim} where the file system has no hard links (exFAT, FAT, many network shares):
 * a rename unless the key was written anew. Between that look and the rename a run may write the
 * key; this record then replaces that one, a result of the same request that is no less valid.
 */
async function moveBackUnlessWritten(claim: string, recordPath: string): Promise<void> {
  if ((await fileInfo(recordPath)) !== null) return unlinkIfThere(claim);
  await rename(claim, recordPath).catch((e: unknown) => {
    if (!isCode(e, 'ENOENT')) throw e;
  });
}

/** Unlink `path` unless its mtime moved from `scannedMs` (a reuse bumped it). Returns whether it is gone. */
export async function unlinkUnmoved(path: string, scannedMs: number): Promise<boolean> {
  const now = await fileInfo(path);
  if (now !== null && now.mtimeMs !== scannedMs) return false;
  if (now !== null) await unlinkIfThere(path);
  return true;
}

/**
 * Date a file gc keeps back to `toMs` unless its mtime moved from `scannedMs` (a use dated it
 * back already). Best effort (a cache gc may not write keeps the date). Returns whether it did.
 */
export async function redateUnmoved(path: string, scannedMs: number, toMs: number): Promise<boolean> {
  const now = await fileInfo(path);
  if (now === null || now.mtimeMs !== scannedMs) return false;
  return utimes(path, toMs / 1000, toMs / 1000).then(
    () => true,
    () => false,
  );
}

async function unlinkIfThere(path: string): Promise<void> {
  await unlink(path).catch((e: unknown) => {
    if (!isCode(e, 'ENOENT')) throw e;
  });
}
