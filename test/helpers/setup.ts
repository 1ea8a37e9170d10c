/**
 * Loaded before every test file (vitest.config.ts `setupFiles`). Two Buffers are equal when their
 * bytes are (`Buffer.equals`): vitest's own deep equality walks a Buffer index by index, about
 * 5 s for a 1 MB image, and the suite compares many output files whole. Same verdict, for
 * `toEqual`, `toStrictEqual`, `toMatchObject` and Buffers nested in what they compare
 * (test/unit/buffer-equality.test.ts). Added once per worker: forks keep their modules from one
 * file to the next (`isolate: false`), and every tester is tried at every node of a comparison.
 */
import { expect } from 'vitest';

const ADDED = Symbol.for('kontext.test.bufferEquality');
const flags = globalThis as { [ADDED]?: true };
if (flags[ADDED] !== true) {
  flags[ADDED] = true;
  expect.addEqualityTesters([(a, b) => (Buffer.isBuffer(a) && Buffer.isBuffer(b) ? a.equals(b) : undefined)]);
}
