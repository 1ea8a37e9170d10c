/** A small well-formed lock entry for lock-writing tests: key and output named after `seed`'s last digit. */
import type { LockEntry } from '../../src/store/types.js';

export const lockEntry = (seed: number): LockEntry => ({
  seed,
  key: String(seed % 10).repeat(64),
  input_sha256: 'b'.repeat(64),
  output_sha256: String(seed % 10).repeat(64),
  output: `out/p/${seed}.png`,
  provider: 'emulator',
  model: 'm',
  request_id: `r${seed}`,
  finished_at: '2025-01-01T00:00:00.000Z',
});
