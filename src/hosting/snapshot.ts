/**
 * A private copy of an image to upload, made in one read of the user's file: hashed while it is
 * copied, then checked (sha256 the runner computed, a whole image of the media type it was
 * labelled with). The upload reads the copy only (S3's PUT, a hosting command's `KONTEXT_FILE`),
 * never the user's file again, which could be swapped between the checks and the upload: a
 * non-image, or another image, stored under this sha256 for good, sent by every later run.
 * Streamed, so memory stays flat whatever the image's size and `-j`. The copy has the file's name
 * (mode 0644, as an uploader that keeps modes would publish it) in a folder of
 * its own under the system's temp folder (mode 0700), removed once the upload is over; a kill -9
 * meanwhile leaves it there, private, until the system clears its temp folder.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HostingError } from './errors.js';
import { assertSameBytes, hostableFileSize, refuseUnlessImage } from './guard.js';
import { fileReader } from '../util/image-probe.js';
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
  await hostableFileSize(image.path); // a folder or a device: the guard's own errors
  let dir: string;
  try {
    dir = await mkdtemp(join(tmpdir(), 'kontext-host-'));
  } catch (e) {
    throw new HostingError('E_HOSTING_INPUT_MISSING', `cannot make a private copy to upload: ${String(e)}`, {
      hint: 'check that the system temp folder (TMPDIR) exists and is writable',
      cause: e,
    });
  }
  try {
    // The file's own name, so a command that names its upload by it (`basename "$KONTEXT_FILE"`) still can.
    const path = join(dir, basename(image.path));
    const hash = createHash('sha256');
    let bytes = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    await pipeline(
      createReadStream(image.path, signal ? { signal } : {}),
      tap,
      createWriteStream(path, { flags: 'wx', mode: 0o644 }),
    );
    assertSameBytes(image, hash.digest('hex'));
    // The copy's own bytes decide its kind: swapped and back between the label's check and this
    // read, the label could name another kind than what is sent.
    const reader = await fileReader(path);
    try {
      if ((await refuseUnlessImage(image.path, reader)) !== image.mediaType) throw changed(image);
    } finally {
      await reader.close?.();
    }
    return await use({ path, bytes });
  } finally {
    await rm(dir, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
  }
}

function changed(image: LabelledImage): HostingError {
  return new HostingError(
    'E_HOSTING_INPUT_CHANGED',
    `${image.path} changed while kontext was running (its kind is not the one checked)`,
    { hint: 'run again once the file is no longer being written' },
  );
}
