import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { afterEach, describe, expect, it } from 'vitest';
import { editRequest, harness, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('soak: seeded random faults', () => {
  it('30 requests at fault rate 0.2 on every call all succeed, with no duplicate submit', async () => {
    h = await harness({
      queueMs: 10,
      runMs: 20,
      scenario: { fault_rate: 0.2, fault_seed: 1234, fault_targets: ['any'] },
      client: { retry: { maxAttempts: 10, baseMs: 2, capMs: 10, maxRetryAfterMs: 50 } },
    });
    const hh = h;
    const limit = pLimit(5);
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        limit(async () => {
          const { requestId } = await hh.provider.submit(await editRequest({ seed: i }));
          const { outputUrls } = await hh.provider.wait(requestId);
          return hh.provider.download(outputUrls[0]!, join(hh.dir, `out-${i}.png`));
        }),
      ),
    );
    for (const r of results)
      expect(
        createHash('sha256')
          .update(await readFile(r.path))
          .digest('hex'),
      ).toBe(r.sha256);
    const log = hh.emulator.requestLog();
    const submits = log.filter((e) => e.method === 'POST' && e.path.startsWith('/v1/models/'));
    expect(submits.filter((e) => e.status === 200)).toHaveLength(30);
    // Seeds are unique per request, so a duplicate accepted submit would show as a repeated seed.
    expect(new Set(submits.filter((e) => e.status === 200).map((e) => e.body?.['seed'])).size).toBe(30);
    const faulted = log.filter((e) => e.fault?.startsWith('random'));
    expect(faulted.length).toBeGreaterThan(10);
    expect(hh.retries.length).toBe(faulted.length);
    expect(await hh.files()).toHaveLength(30);
  });
});
