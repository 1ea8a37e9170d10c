/**
 * A private copy of an image's checked bytes for a hosting command to read: `<sha256>.<ext>` in a
 * folder of its own under the system's temp folder (mode 0700, the file 0600), removed once the
 * command is over. The command never reads the user's file itself, which could be swapped between
 * kontext's checks and the upload (a non-image, or another image, stored under this sha256 for
 * good: every later run would send it).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extForMediaType } from './media-type.js';
import type { LabelledImage } from './types.js';

export async function withSnapshot<T>(
  body: Uint8Array,
  image: Pick<LabelledImage, 'sha256' | 'mediaType'>,
  use: (path: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'kontext-host-'));
  try {
    const path = join(dir, `${image.sha256.toLowerCase()}.${extForMediaType(image.mediaType)}`);
    await writeFile(path, body, { mode: 0o600, flag: 'wx' });
    return await use(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
