/**
 * Read a small JSON file through a zod schema, for cache entries: missing, unparsable or
 * mis-shaped all read as `null` (a miss). Other I/O errors (EMFILE, EACCES) are thrown: a
 * transient failure must not look like a miss, or we would pay for a run we already have.
 * The read is bounded (regular files only, at most `max` bytes): an entry that is a device,
 * a FIFO or far too large was not written by us, so it is a clear error naming the file, not
 * a miss that would silently pay again. The read is synchronous (`readBoundedSync`): entries
 * are a few KB and read by the thousand (a report reads every node's record), where a promise
 * per open, fstat, read and close cost ten times the syscalls.
 */
import type { z } from 'zod';
import { ExitCode } from '../errors.js';
import { retryFdLimit } from '../util/fd-limit.js';
import { isBoundedReadError, READ_CAPS, readBoundedSync } from '../util/read-bounded.js';
import { isCode } from './errno.js';
import { StoreError } from './errors.js';

export async function readJsonOrNull<S extends z.ZodType>(
  path: string,
  schema: S,
  max: number = READ_CAPS.record,
): Promise<z.infer<S> | null> {
  const parse = (data: unknown): z.infer<S> | null => {
    const parsed = schema.safeParse(data);
    return parsed.success ? parsed.data : null;
  };
  return (await readJsonEntry(path, parse, max))?.value ?? null;
}

/** {@link readJsonOrNull} with its own check (`null`: a miss), and the file's mtime as read (same descriptor). */
export async function readJsonEntry<T>(
  path: string,
  parse: (data: unknown) => T | null,
  max: number = READ_CAPS.record,
): Promise<{ readonly value: T; readonly mtimeMs: number } | null> {
  let read: ReturnType<typeof readBoundedSync>;
  try {
    read = await retryFdLimit(() => readBoundedSync(path, max));
  } catch (e) {
    if (isCode(e, 'ENOENT', 'ENOTDIR', 'EISDIR')) return null;
    if (isBoundedReadError(e)) {
      throw new StoreError('E_STORE_ENTRY_REFUSED', `cache entry ${e.message}`, {
        exitCode: ExitCode.DATA_ERR,
        hint: `kontext never writes such a file: delete ${path} (cache entries can be removed; a run then repeats)`,
        cause: e,
      });
    }
    throw e;
  }
  let data: unknown;
  try {
    data = JSON.parse(read.bytes.toString('utf8'));
  } catch {
    return null;
  }
  const value = parse(data);
  return value === null ? null : { value, mtimeMs: read.stat.mtimeMs };
}
