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
import { type ImageKind, OTHER_SNIFF_BYTES, otherImageKind, SNIFF_BYTES, sniffImage } from './image-sniff.js';
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

/**
 * The image kind kontext does not send that a file it refused is (`TIFF`, `SVG`: image-sniff.ts's
 * `otherImageKind`), for the refusal's message; null when none, or the file cannot be read now.
 */
export function otherImageKindOfFile(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const head = new Uint8Array(OTHER_SNIFF_BYTES);
    return otherImageKind(head.subarray(0, readSync(fd, head, 0, OTHER_SNIFF_BYTES, 0)));
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}
