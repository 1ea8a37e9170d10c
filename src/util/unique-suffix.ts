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

/** The longest file name most file systems take (ext4, APFS, XFS: 255 bytes). */
export const NAME_MAX_BYTES = 255;

/**
 * `.<name>.<suffix><end>` (`end`: `.tmp`, `.part`), a temp beside the file `name`. A long `name`
 * is cut (at a whole character) so the temp's own name stays within {@link NAME_MAX_BYTES}: a
 * file name of 230 bytes is allowed, and its write must not fail on its temp's name.
 */
export function tempNameFor(name: string, end: string): string {
  const suffix = uniqueSuffix();
  const room = NAME_MAX_BYTES - Buffer.byteLength(`..${suffix}${end}`);
  const chars = [...name];
  while (chars.length > 0 && Buffer.byteLength(chars.join('')) > room) chars.pop();
  return `.${chars.join('')}.${suffix}${end}`;
}
