/**
 * Creating a file mutex's `.lck` (file-mutex.ts): exclusively, never empty from a live holder (a
 * temp written, then hard-linked to the name), in place where there are no hard links, and on a
 * full disk (`holdWhenFull`, gc's) as an empty file linked to an empty temp named by its holder.
 */
import { link, open, rm, writeFile } from 'node:fs/promises';
import { tempPathFor } from './atomic.js';
import { isCode, NO_HARD_LINKS } from './errno.js';
import { writeFailure } from './write-errors.js';
import { retryFdLimit } from '../util/fd-limit.js';

const THEN = 'then run again';

/**
 * Create `lck` holding `text`, exclusively: the text written to a temp beside it, then linked to
 * its name, so it never exists empty; created in place where there are no hard links. `null`:
 * another holds it. ENOENT (the folder is missing) is thrown as is: withParentDir makes it.
 */
export async function tryCreate(lck: string, text: string, holdWhenFull: boolean): Promise<{ via?: string } | null> {
  const tmp = tempPathFor(lck);
  try {
    await writeNew(tmp, text);
  } catch (e) {
    if (isCode(e, 'ENOENT')) throw e;
    if (holdWhenFull && isCode(e, 'ENOSPC', 'EDQUOT')) return holdEmpty(lck, e);
    throw writeFailure(e, lck, THEN);
  }
  try {
    await link(tmp, lck);
    return {};
  } catch (e) {
    if (isCode(e, 'EEXIST')) return null;
    if (!isCode(e, ...NO_HARD_LINKS)) throw isCode(e, 'ENOENT') ? e : writeFailure(e, lck, THEN);
  } finally {
    await rm(tmp, { force: true });
  }
  return (await createInPlace(lck, text)) ? {} : null;
}

/** Write `text` to a new file `path` (O_EXCL); a write that fails removes it. */
export async function writeNew(path: string, text: string): Promise<void> {
  const handle = await retryFdLimit(() => open(path, 'wx'));
  try {
    await handle.writeFile(text);
  } catch (e) {
    await handle.close().catch(() => undefined);
    await rm(path, { force: true });
    throw e;
  }
  await handle.close();
}

/**
 * {@link tryCreate} without hard links: the `.lck` itself created exclusively, then written
 * ({@link writeNew}: not left behind empty, which would name no holder until it went stale).
 */
async function createInPlace(lck: string, text: string): Promise<boolean> {
  try {
    await writeNew(lck, text);
    return true;
  } catch (e) {
    if (isCode(e, 'EEXIST')) return false;
    // A folder not there yet is the caller's to make (withParentDir): passed on as it is.
    throw isCode(e, 'ENOENT') ? e : writeFailure(e, lck, THEN);
  }
}

/**
 * A full disk and `holdWhenFull`: the holder's text has no room, but an empty file needs no data
 * block. An empty temp beside the lock (its name carries this process's tag) is linked to the
 * `.lck` name and kept until release, so waiters read the holder from the name (readHolder).
 * Without hard links nothing could name it: the full disk's error (`full`) stands.
 */
async function holdEmpty(lck: string, full: unknown): Promise<{ via: string } | null> {
  const via = tempPathFor(lck);
  await writeFile(via, '', { flag: 'wx' }).catch(() => {
    throw writeFailure(full, lck, THEN);
  });
  try {
    await link(via, lck);
    return { via };
  } catch (e) {
    await rm(via, { force: true });
    if (isCode(e, 'EEXIST')) return null;
    throw writeFailure(full, lck, THEN);
  }
}
