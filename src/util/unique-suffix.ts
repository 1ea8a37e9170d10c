/**
 * Suffixes for temp file names that never repeat: random per process (so two processes sharing
 * a folder do not collide, whatever their pids), then a counter. Drawing fresh random bytes for
 * every temp file cost more CPU than the write itself for small files.
 */
import { randomBytes } from 'node:crypto';

const processPart = randomBytes(6).toString('hex');
let counter = 0;

/** e.g. `3fa9c1d2e4b7-1f`: unique within this process and, with overwhelming odds, across processes. */
export function uniqueSuffix(): string {
  counter += 1;
  return `${processPart}-${counter.toString(36)}`;
}
