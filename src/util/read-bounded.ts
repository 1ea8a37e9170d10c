/**
 * Bounded reads of the small files we parse (lock, journal, records, configs, token, recipe).
 * A file named by a shared recipe or a planted symlink may be `/dev/zero`, a FIFO or a huge
 * file: each would hang the process or read until memory runs out. `readBounded` opens the
 * path without blocking (a FIFO with no writer does not stall the open), checks with fstat on
 * that same descriptor that it is a regular file no larger than `max`, and reads at most
 * `max + 1` bytes, so a file that grows after the check is still caught.
 *
 * File-system errors (ENOENT, EACCES...) are thrown as they are, so callers keep treating a
 * missing file their own way; the two refusals are a typed {@link BoundedReadError}.
 * `readBoundedSync` does the same without promises, for cache entries read by the thousand
 * (run records: an async open, fstat, read and close cost ten times the syscalls themselves).
 * `openRegular` is the open and the check alone, for a caller that reads the file its own way.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { ExitCode, KontextError, type KontextErrorOptions } from '../errors.js';
import { retryFdLimit } from './fd-limit.js';

/** Caps of the files kontext parses; each far above anything a real file of that kind needs. */
export const READ_CAPS = {
  /** `token.json`: a token and a few fields. */
  token: 64 * 1024,
  /** A recipe lock file: 0.7 to 1.3 KB per node, for at most 50,000 nodes (recipe/rules/plan-size.ts). */
  lock: 64 * 1024 * 1024,
  /** One journal entry (a submitted request). */
  journal: 64 * 1024,
  /** One run record (prompt and params included). */
  record: 1024 * 1024,
  /** The user config (`config.json`). */
  userConfig: 1024 * 1024,
  /** An emulator scenario file. */
  scenario: 1024 * 1024,
  /** The source-hash memo: about 200 bytes per file, so room for ~500,000 files. */
  sourceMemo: 128 * 1024 * 1024,
  /** One hosted-URL record (a URL and two dates). */
  urlRecord: 64 * 1024,
  /** A file mutex's `.lck` (a pid and a host name). */
  mutex: 64 * 1024,
} as const;

/** Why a bounded read refused a file. */
export type BoundedReadRefusal = 'not-regular' | 'too-large';

/** The file is not a regular file, or is larger than the cap (exit 65 unless the caller says otherwise). */
export class BoundedReadError extends KontextError {
  override readonly name = 'BoundedReadError';
  readonly path: string;
  readonly refusal: BoundedReadRefusal;
  readonly max: number;
  constructor(path: string, refusal: BoundedReadRefusal, max: number, options: KontextErrorOptions = {}) {
    const message =
      refusal === 'not-regular'
        ? `${path} is not a regular file (a device, FIFO, socket or folder); refusing to read it`
        : `${path} is larger than ${max} bytes; refusing to read it`;
    super(refusal === 'not-regular' ? 'E_NOT_REGULAR_FILE' : 'E_FILE_TOO_LARGE', message, {
      exitCode: ExitCode.DATA_ERR,
      hint:
        refusal === 'not-regular'
          ? 'replace it with an ordinary file (a symlink to /dev/zero or a named pipe is refused)'
          : 'the file is far larger than any valid one; check what wrote it, or remove it',
      ...options,
    });
    this.path = path;
    this.refusal = refusal;
    this.max = max;
  }
}

export function isBoundedReadError(e: unknown): e is BoundedReadError {
  return e instanceof BoundedReadError;
}

/**
 * The buffer both readers fill: checked against the descriptor's fstat, sized from it and read
 * to the end, grown up to one byte past the cap: a file that grows meanwhile (or a /proc-style
 * file reporting size 0) is read whole or refused.
 */
class BoundedBuffer {
  #buf: Buffer;
  #filled = 0;
  #wanted = 0;

  constructor(
    private readonly path: string,
    private readonly max: number,
    private readonly stat: Stats,
  ) {
    if (!stat.isFile()) throw new BoundedReadError(path, 'not-regular', max);
    if (stat.size > max) throw new BoundedReadError(path, 'too-large', max);
    this.#buf = Buffer.allocUnsafe(Math.min(max, stat.size) + 1);
  }

  /** Where the next read goes: the buffer, its offset and how many bytes fit. */
  next(): readonly [Buffer, number, number] {
    if (this.#filled === this.#buf.length) {
      if (this.#filled > this.max) throw new BoundedReadError(this.path, 'too-large', this.max);
      const grown = Buffer.allocUnsafe(Math.min(this.max + 1, this.#buf.length * 2));
      this.#buf.copy(grown, 0, 0, this.#filled);
      this.#buf = grown;
    }
    this.#wanted = this.#buf.length - this.#filled;
    return [this.#buf, this.#filled, this.#wanted];
  }

  /**
   * Count a read; true once the file is read whole. A short read of a regular file is its end (a
   * file growing after it is as if it grew after we returned); one that reported size 0
   * (/proc-style) is read until a read returns nothing.
   */
  took(bytesRead: number): boolean {
    this.#filled += bytesRead;
    return bytesRead === 0 || (bytesRead < this.#wanted && this.stat.size > 0);
  }

  bytes(): Buffer {
    if (this.#filled > this.max) throw new BoundedReadError(this.path, 'too-large', this.max);
    return this.#buf.subarray(0, this.#filled);
  }
}

/**
 * `path` opened for reading as {@link readBounded} opens it (without blocking, and retried while
 * out of file descriptors), for a caller that reads it its own way (a stream, a few ranges): its
 * handle and the size fstat gives on that descriptor, or `null` (closed again) when it is not a
 * regular file. The fs error of the open or fstat is thrown as it is.
 */
export async function openRegular(
  path: string,
): Promise<{ readonly handle: FileHandle; readonly size: number } | null> {
  const handle = await retryFdLimit(() => open(path, constants.O_RDONLY | constants.O_NONBLOCK));
  try {
    const info = await handle.stat();
    if (info.isFile()) return { handle, size: info.size };
  } catch (e) {
    await handle.close();
    throw e;
  }
  await handle.close();
  return null;
}

/** Read a regular file of at most `max` bytes. Throws {@link BoundedReadError}, or the fs error. */
export async function readBounded(path: string, max: number): Promise<Buffer> {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const into = new BoundedBuffer(path, max, await handle.stat());
    for (;;) {
      const [buf, offset, length] = into.next();
      if (into.took((await handle.read(buf, offset, length, null)).bytesRead)) return into.bytes();
    }
  } finally {
    await handle.close();
  }
}

/** {@link readBounded} decoded as UTF-8. */
export async function readBoundedText(path: string, max: number): Promise<string> {
  return (await readBounded(path, max)).toString('utf8');
}

/**
 * {@link readBounded} without promises: the same checks on the same descriptor, and the file's
 * fstat (its mtime, say) returned with the bytes. For small local files only (cache entries):
 * it blocks the event loop for the read.
 */
export function readBoundedSync(path: string, max: number): { readonly bytes: Buffer; readonly stat: Stats } {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stat = fstatSync(fd);
    const into = new BoundedBuffer(path, max, stat);
    for (;;) {
      const [buf, offset, length] = into.next();
      if (into.took(readSync(fd, buf, offset, length, null))) return { bytes: into.bytes(), stat };
    }
  } finally {
    closeSync(fd);
  }
}
