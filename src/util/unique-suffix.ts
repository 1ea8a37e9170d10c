/**
 * Suffixes for temp file names that never repeat: this process's tag (util/process-tag.ts: pid,
 * start time, machine, so a sweep can tell a dead writer's temp from a live one's) and random
 * bytes per process (so two processes sharing a folder do not collide, whatever their pids),
 * then a counter. Drawing fresh random bytes for every temp file cost more CPU than the write
 * itself for small files.
 */
import { randomBytes } from 'node:crypto';
import { processTag } from './process-tag.js';

const processPart =
  processTag === '' ? randomBytes(6).toString('hex') : `${processTag}_${randomBytes(3).toString('hex')}`;
let counter = 0;

/**
 * e.g. `p4711t8123456h0a1b2c3d_3fa9c1-1f` (or `3fa9c1d2e4b7-1f` without /proc): unique within this
 * process and, with overwhelming odds, across processes. Never holds a dot.
 */
export function uniqueSuffix(): string {
  counter += 1;
  return `${processPart}-${counter.toString(36)}`;
}
