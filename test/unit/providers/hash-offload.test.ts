import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inlineHash, workerHash, type StreamingHash } from '../../../src/providers/runcomfy/hash-offload.js';
import { seededRandom } from '../../../src/runtime.js';

async function feed(h: StreamingHash, chunks: readonly Uint8Array[]): Promise<string> {
  try {
    for (const c of chunks) await h.update(c);
    return await h.digest();
  } finally {
    h.dispose();
  }
}

describe('streaming sha256', () => {
  const random = seededRandom(9);
  // Odd sizes straddle slab boundaries, including chunks larger than a whole slab.
  const chunks = [0, 1, 1000, 4096, 65_536, 70_000, 5, 300_000, 0, 12_345].map((n) =>
    Uint8Array.from({ length: n }, () => Math.floor(random() * 256)),
  );
  const expected = createHash('sha256');
  for (const c of chunks) expected.update(c);
  const want = expected.digest('hex');

  // 450 kB through two 64 KiB slabs: slabs must come back from the worker and be reused.
  it('inline and worker hashing agree with a one-shot hash', async () => {
    expect(await feed(inlineHash(), chunks)).toBe(want);
    expect(await feed(workerHash(64 * 1024, 2), chunks)).toBe(want);
  });

  it('hashes an empty stream', async () => {
    expect(await feed(workerHash(), [])).toBe(createHash('sha256').digest('hex'));
  });
});
