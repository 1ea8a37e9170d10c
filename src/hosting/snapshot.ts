/**
 * A private copy of an image to upload, made in one read of the user's file: hashed while it is
 * copied, then checked (sha256 the runner computed, a whole image of the media type it was
 * labelled with). The upload reads the copy only (S3's PUT, a hosting command's `KONTEXT_FILE`),
 * never the user's file again, which could be swapped between the checks and the upload: a
 * non-image, or another image, stored under this sha256 for good, sent by every later run.
 * The file is opened once, without blocking (a FIFO swapped in never stalls the process), checked
 * on that descriptor to be a regular file, and copied up to the size it had then (a device such as
 * `/dev/zero`, or a file still growing, cannot fill the disk). Streamed, so memory stays flat
 * whatever the image's size and `-j`. The copy keeps the file's name (mode 0644, as an uploader
 * that keeps modes would publish it) in a folder of its own under the system's temp folder (mode
 * 0700), removed once the upload is over. The folder's name carries this process's tag
 * (`kontext-host-<tag>.XXXXXX`, util/process-tag.ts): a kill -9 or a second Ctrl-C mid-upload
 * leaves it behind, and the next kontext to make a copy in that temp folder removes the folders of
 * dead processes first (its own user's, real folders only; review-u).
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { type FileHandle, lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { retryFdLimit } from '../util/fd-limit.js';
import { fileReader } from '../util/image-probe.js';
import { writerIsDead } from '../util/process-tag.js';
import { openRegular } from '../util/read-bounded.js';
import { uniqueSuffix } from '../util/unique-suffix.js';
import { HostingError } from './errors.js';
import { assertSameBytes, refuseUnlessImage } from './guard.js';
import type { LabelledImage } from './types.js';

export interface Snapshot {
  readonly path: string;
  readonly bytes: number;
}

/** Run `use` with a checked private copy of `image` (see the module comment), removed afterwards. */
export async function withSnapshot<T>(
  image: LabelledImage,
  signal: AbortSignal | undefined,
  use: (snapshot: Snapshot) => Promise<T>,
): Promise<T> {
  const source = await openSource(image.path);
  let dir: string;
  try {
    const temp = tmpdir();
    dir = await retryFdLimit(() => mkdtemp(join(temp, `${PREFIX}${uniqueSuffix()}.`)));
    await sweepDeadCopiesOnce(temp, dir);
  } catch (e) {
    await source.handle.close();
    throw tempFailure(e);
  }
  try {
    const path = join(dir, basename(image.path));
    const bytes = await copyHashed(image, source, path, signal);
    const reader = await fileReader(path);
    try {
      // The copy's own bytes decide its kind: swapped and back between the label's check and
      // this read, the label could name another kind than what is sent.
      if ((await refuseUnlessImage(image.path, reader)) !== image.mediaType) throw changed(image, 'its kind');
    } finally {
      await reader.close?.();
    }
    return await use({ path, bytes });
  } finally {
    await rm(dir, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
  }
}

const PREFIX = 'kontext-host-';

/** Temp folders swept of dead processes' copies by this process (once each is enough). */
const swept = new Map<string, Promise<void>>();

/**
 * Remove the copy folders a dead kontext left in `temp` (a kill -9 or a second Ctrl-C during an
 * upload): by the tag in their name, so a live process's copy is never touched, and only this
 * user's real folders (not a link, nor another user's folder in a shared /tmp). Best effort: made
 * after this process's own folder, which names the user.
 */
function sweepDeadCopiesOnce(temp: string, ours: string): Promise<void> {
  let sweep = swept.get(temp);
  if (sweep === undefined) {
    sweep = sweepDeadCopies(temp, ours).catch(() => undefined);
    swept.set(temp, sweep);
  }
  return sweep;
}

/** `ours`: the folder this process just made there, whose owner is this user. */
async function sweepDeadCopies(temp: string, ours: string): Promise<void> {
  const { uid } = await lstat(ours);
  for (const name of await readdir(temp)) {
    const dot = name.lastIndexOf('.');
    if (!name.startsWith(PREFIX) || dot < 0 || !writerIsDead(name.slice(PREFIX.length, dot))) continue;
    const path = join(temp, name);
    const info = await lstat(path).catch(() => null);
    if (info === null || !info.isDirectory() || info.uid !== uid) continue;
    await rm(path, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** The file, opened once without blocking (util/read-bounded.ts), and its size: a regular file only. */
async function openSource(path: string): Promise<{ readonly handle: FileHandle; readonly size: number }> {
  const opened = await openRegular(path).catch((e: unknown) => {
    throw new HostingError(
      'E_HOSTING_INPUT_MISSING',
      `cannot host ${path}: the file does not exist or cannot be read`,
      {
        cause: e,
      },
    );
  });
  if (opened === null)
    throw new HostingError('E_HOSTING_INPUT_REFUSED', `refusing to host ${path}: not a regular file`);
  return opened;
}

/** Copy `source` (closed afterwards) to a new file `path`, its size then at most, hashed; the bytes copied. */
async function copyHashed(
  image: LabelledImage,
  source: { readonly handle: FileHandle; readonly size: number },
  path: string,
  signal: AbortSignal | undefined,
): Promise<number> {
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  // Its size then, at most (`end` is inclusive: an empty file reads as empty, grown by a byte it fails the hash).
  // The handle stays ours to close, once, below.
  const read = source.handle.createReadStream({ start: 0, end: Math.max(0, source.size - 1), autoClose: false });
  try {
    await pipeline(read, tap, createWriteStream(path, { flags: 'wx', mode: 0o644 }), signal ? { signal } : {});
  } catch (e) {
    if (signal?.aborted) throw e;
    throw isReadSide(e) ? changed(image, 'its bytes') : tempFailure(e);
  } finally {
    await source.handle.close().catch(() => undefined);
  }
  assertSameBytes(image, hash.digest('hex'));
  return bytes;
}

/** A failure of the read (the source), not of the write (the temp folder). */
function isReadSide(e: unknown): boolean {
  const syscall = (e as { syscall?: unknown } | null)?.syscall;
  return syscall === 'read' || syscall === 'fstat';
}

function changed(image: LabelledImage, what: string): HostingError {
  return new HostingError(
    'E_HOSTING_INPUT_CHANGED',
    `${image.path} changed while kontext was running (${what} no longer match the check)`,
    { hint: 'run again once the file is no longer being written' },
  );
}

function tempFailure(e: unknown): HostingError {
  const code = (e as { code?: unknown } | null)?.code;
  return new HostingError(
    'E_HOSTING_TEMP',
    `cannot make the private copy to upload in ${tmpdir()}${typeof code === 'string' ? ` (${code})` : ''}`,
    { hint: 'check that the system temp folder (TMPDIR) exists, is writable and has room', cause: e },
  );
}
