/**
 * The image kind of a file from its first bytes (see image-sniff.ts); null when it is not one, or
 * cannot be opened (gone, a folder…). A file this user may not read (EACCES, EPERM) throws: a
 * caller says so (read-failure.ts) rather than "not an image".
 * Synchronous inside on purpose: every source of a recipe is sniffed on every run (2,500 files
 * for a 10,000-node recipe), and an open, a read of a few bytes and a close each cost less
 * than the promise and thread-pool round trip of their async forms. Opened non-blocking, so a
 * FIFO named like an image never stalls the process: it reads as no bytes (not an image).
 */
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { type ImageKind, SNIFF_BYTES, sniffImage } from './image-sniff.js';
import { isUnreadable } from './read-failure.js';

export async function sniffImageFile(path: string): Promise<ImageKind | null> {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    if (isUnreadable(e)) throw e;
    return null;
  }
  try {
    const head = new Uint8Array(SNIFF_BYTES);
    const bytesRead = readSync(fd, head, 0, SNIFF_BYTES, 0);
    return sniffImage(head.subarray(0, bytesRead));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EAGAIN' || (e as NodeJS.ErrnoException).code === 'ESPIPE') return null;
    throw e;
  } finally {
    closeSync(fd);
  }
}
