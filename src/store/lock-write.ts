/**
 * The one durable write of a lock file (docs/architecture.md#cache-lock-and-journal), for its
 * three writers: a run's `updateLock` (lock-file.ts), the merge of a conflicted lock
 * (`writeResolvedLock`, lock-merge.ts) and the git merge driver (`kontext merge-lock`,
 * run/merge-lock.ts). A dead writer's temp beside the file goes first (the once-per-folder
 * sweep: a run or a merge killed between its temp and its rename left it); then the new text
 * goes to a temp beside the file, fsynced, renamed over it, and the folder fsynced: a kill -9 or
 * a power cut leaves the old file or the new one, never half. A full or read-only disk is one
 * error naming the file, exit 73 (write-errors.ts), the file left as it was and no temp left.
 *
 * What differs between the writers is said by the caller, on purpose:
 * - the mutex: a run's update and the conflict's merge replace the lock itself, which other
 *   runs write too, so they call this under `<lock>.lck`; the merge driver writes git's own temp
 *   `%A`, which nothing else writes, so it takes none;
 * - the crash points (cli/test-hooks.ts), named by each writer, so a test kills the one it means;
 * - what the exit-73 hint says is kept (the old lock, the conflicted file, git's `%A`);
 * - the formatter: a run's writer keeps its own (it remembers the text of unchanged entries);
 * - the line ending: the one of the file it replaces (a CRLF checkout's stays CRLF).
 */
import { dirname } from 'node:path';
import { sweepDeadTempsOnce, writeFileAtomic } from './atomic.js';
import { type LockEol, LockFormatter } from './lock-format.js';
import type { LockEntry } from './types.js';
import { writeFailure } from './write-errors.js';

export interface LockWriteOptions {
  /** Test hook (the CLI may end the process at a point; see cli/test-hooks.ts). */
  readonly crashPoint?: ((point: string) => void) | undefined;
  /** The names of this writer's points: the new text complete in its temp, and renamed over the file. */
  readonly points: { readonly tempWritten: string; readonly renamed?: string | undefined };
  /** The exit-73 hint after the cause: what is left as it was, and what to do next. */
  readonly unchanged: string;
  readonly formatter?: LockFormatter | undefined;
  /** The line ending of the file replaced (lock-format.ts's `lockEol`): kept. */
  readonly eol?: LockEol | undefined;
  /** The text to write instead of `nodes`' (the merge driver's, with conflict hunks: lock-markers.ts). */
  readonly text?: string | undefined;
}

/** Replace the lock file at `path` by `nodes`, durably (see the module comment). */
export async function writeLockDurably(
  path: string,
  nodes: Readonly<Record<string, LockEntry>>,
  options: LockWriteOptions,
): Promise<void> {
  const { crashPoint, points } = options;
  const formatter = options.formatter ?? new LockFormatter();
  try {
    await sweepDeadTempsOnce(dirname(path));
    const beforeRename = (): void => crashPoint?.(points.tempWritten);
    const data = options.text ?? formatter.pieces(nodes, options.eol);
    await writeFileAtomic(path, data, { durable: true, beforeRename });
  } catch (e) {
    throw writeFailure(e, path, options.unchanged);
  }
  if (points.renamed !== undefined) crashPoint?.(points.renamed);
}
