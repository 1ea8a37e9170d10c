/**
 * Copy a finished output into place without letting a symlink redirect it: the target's
 * folders are resolved and checked (write-guard.ts), the bytes go to a temp file in the
 * resolved folder, and a rename puts them in place — a rename replaces a symlink at the final
 * name instead of writing through it. Checked again at write time (not only when the recipe
 * was validated) because links can change in between. The copy is fsynced before the rename
 * and its folder (and any folder made for it, into its parent) before the next journal entry is
 * removed, so after a power cut the output is whole or absent.
 */
import { constants } from 'node:fs';
import { chmod, copyFile, lstat, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ExitCode } from '../errors.js';
import { realPathDeep } from '../util/real-path.js';
import { sweepDeadTempsOnce, syncFile, tempPathFor, withParentDir } from './atomic.js';
import { markDirty } from './dir-sync.js';
import { StoreError } from './errors.js';
import { checkWriteTarget, type WriteGuard } from './write-guard.js';
import { retryFdLimit } from '../util/fd-limit.js';

/**
 * Copy `blob` to `target` unless (without `force`) a regular file of the same size is already
 * there. A symlink at `target` is replaced, never followed; a folder there is an error.
 * Returns true when written.
 */
export async function copyFileSafely(
  blob: string,
  target: string,
  guard: WriteGuard,
  force: boolean,
  options: {
    /** Check the temp copy before it is renamed into place (throws to refuse it). */
    readonly verify?: ((copy: string) => Promise<void>) | undefined;
    /** Test hook (the CLI may end the process here; see cli/test-hooks.ts). */
    readonly crashPoint?: ((point: string) => void) | undefined;
  } = {},
): Promise<boolean> {
  const real = await checkWriteTarget(target, guard);
  const existing = await lstat(real).catch(() => null);
  if (existing?.isDirectory()) throw folderInTheWay(target);
  if (!force && existing?.isFile() && existing.size === (await stat(blob)).size) return false;
  await sweepDeadTempsOnce(dirname(real));
  const tmp = tempPathFor(real);
  try {
    const copy = (): Promise<void> => retryFdLimit(() => copyFile(blob, tmp, constants.COPYFILE_EXCL));
    await withParentDir(real, copy, 'deferred');
    // Best effort: a share or FAT disk may refuse modes.
    await newFileMode(dirname(real))
      .then((mode) => chmod(tmp, mode))
      .catch(() => undefined);
    // Flushed before the rename, so a power cut cannot leave a torn file under the output's name
    // (the next run would take it for a hand edit: run/hand-edits.ts).
    await options.verify?.(tmp);
    await syncFile(tmp);
    options.crashPoint?.('output-temp-written');
    await rename(tmp, real);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  // The new name made durable before the journal lets go of the node's request (dir-sync.ts).
  markDirty(dirname(real));
  options.crashPoint?.('output-renamed');
  await verifyLanded(target, real);
  return true;
}

/** A folder where the output file `target` goes: refused (exit 73), by the write and by a run's preflight. */
export function folderInTheWay(target: string): StoreError {
  return new StoreError('E_WRITE_REFUSED', `refusing to write ${target}: it is a folder`, {
    exitCode: ExitCode.CANT_CREAT,
    hint: 'move the folder away, or change out: or save: in the recipe',
  });
}

/** {@link newFileMode} per folder, for this process (its umask does not change). */
const modes = new Map<string, Promise<number>>();

/**
 * The mode a new file gets in `dir` (0666 less the umask, or the folder's default ACL), asked of
 * the disk once per folder. copyFile gives the copy its source's mode, and a blob written under
 * another umask (077 in CI: 0600) or a cache restored read-only (0444) made outputs the team
 * could not read, or their owner could not edit.
 */
function newFileMode(dir: string): Promise<number> {
  let mode = modes.get(dir);
  if (mode === undefined) {
    mode = probeMode(dir);
    modes.set(dir, mode);
    mode.catch(() => modes.delete(dir));
  }
  return mode;
}

async function probeMode(dir: string): Promise<number> {
  const probe = tempPathFor(join(dir, 'mode'));
  const handle = await open(probe, 'wx', 0o666);
  try {
    return (await handle.stat()).mode & 0o777;
  } finally {
    await handle.close();
    await rm(probe, { force: true });
  }
}

/** After the rename: a regular file at `real`, in a folder that still resolves to the one checked. */
async function verifyLanded(target: string, real: string): Promise<void> {
  const [info, folder] = await Promise.all([lstat(real), realPathDeep(dirname(real))]);
  if (info.isFile() && folder === dirname(real)) return;
  throw new StoreError('E_WRITE_RACED', `${target}: its folder changed while kontext wrote it`, {
    exitCode: ExitCode.DATA_ERR,
    hint: 'something replaced a folder on the output path with a link during the run; check it and run again',
  });
}
