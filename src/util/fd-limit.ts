/**
 * Out of file descriptors (EMFILE: this process's `ulimit -n`; ENFILE: the system's table). A
 * run with many `-j` slots holds a socket per request and a file or two per write; at a low
 * limit (64, or macOS's 256) an open fails for a moment, until another closes. Such a failure
 * says nothing about the file: the cache, journal and lock writes try again, with a growing
 * pause, for a while ({@link retryFdLimit}), so a paid request's id is not lost to it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isCode } from './errno.js';

/** Whether `e` is a Node system error saying no file descriptor is free. */
export function isFdLimit(e: unknown): boolean {
  return isCode(e, 'EMFILE', 'ENFILE');
}

/** The pauses between tries: 5 ms doubling to 500 ms, about 30 s in all. */
const PAUSES_MS: readonly number[] = [5, 10, 20, 40, 80, 160, 320, ...Array<number>(58).fill(500)];

/** The hint for a file operation that ran out of descriptors for good (exit 75). */
export const FD_LIMIT_HINT = 'too many files open at once: raise `ulimit -n` or lower `-j`, then run again';

/** `op`, tried again while it fails for want of a file descriptor; any other failure, or the last, is thrown. */
export async function retryFdLimit<T>(op: () => T | Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await op();
    } catch (e) {
      const pause = PAUSES_MS[attempt];
      if (!isFdLimit(e) || pause === undefined) throw e;
      await sleep(pause);
    }
  }
}
