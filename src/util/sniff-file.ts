/** The image kind of a file from its first bytes (see image-sniff.ts); null when it is not one, or unreadable. */
import { type FileHandle, open } from 'node:fs/promises';
import { type ImageKind, SNIFF_BYTES, sniffImage } from './image-sniff.js';

export async function sniffImageFile(path: string): Promise<ImageKind | null> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch {
    return null;
  }
  try {
    const head = new Uint8Array(SNIFF_BYTES);
    const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
    return sniffImage(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}
