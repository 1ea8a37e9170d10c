/** The sha256 (hex) and byte count of a file, read as a stream (any size, little memory). */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { retryFdLimit } from './fd-limit.js';

export function sha256OfFile(path: string): Promise<{ sha256: string; bytes: number }> {
  // Out of file descriptors at the open: read again from the start once one is free.
  return retryFdLimit(async () => {
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      bytes += chunk.length;
    }
    return { sha256: hash.digest('hex'), bytes };
  });
}
