/**
 * KONTEXT_TEST_FAST_POLL=1 (what the suite sets for its CLI children) reaches the client a run
 * opens: a RunComfy API on loopback is read as the built-in emulator is, many reads within a 1.5 s
 * job, where a real API's backoff (0.5 s, then x1.3) reads it three times; a refused call is tried
 * again after tens of ms, not the 1 s doubling window of a real API.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openProviderSession, startEmulator, type EmulatorHandle } from '../../../src/index.js';
import { createRuntime } from '../../../src/runtime.js';
import { editRequest } from './harness.js';

let emulator: EmulatorHandle | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function readsOfOneJob(extra: Record<string, string>): Promise<number> {
  emulator = await startEmulator({ queueMs: 0, runMs: 1_500 });
  const env = { RUNCOMFY_MODEL_API_BASE: emulator.baseUrl, RUNCOMFY_TOKEN: 'test-token', ...extra };
  const session = await openProviderSession('runcomfy', createRuntime({ env }));
  try {
    const { requestId } = await session.provider.submit(await editRequest());
    await session.provider.wait(requestId);
    return emulator.requestLog().filter((e) => e.path.startsWith(`/v1/requests/${requestId}/`)).length;
  } finally {
    await session.close();
  }
}

describe('KONTEXT_TEST_FAST_POLL', () => {
  it('set: a RunComfy API on loopback is read every few tens of ms', async () => {
    expect(await readsOfOneJob({ KONTEXT_TEST_FAST_POLL: '1' })).toBeGreaterThanOrEqual(6);
  });
  it("unset: the same API is read on a real API's backoff", async () => {
    expect(await readsOfOneJob({})).toBeLessThanOrEqual(4);
  });
});

describe('KONTEXT_TEST_FAST_POLL and retries', () => {
  it('set: a submit refused (429, no Retry-After) on loopback is tried again within 200 ms each time', async () => {
    emulator = await startEmulator({
      queueMs: 0,
      runMs: 0,
      scenario: { faults: [{ kind: 'http', on: 'submit', nth: 1, times: 3, status: 429 }] },
    });
    const env = {
      RUNCOMFY_MODEL_API_BASE: emulator.baseUrl,
      RUNCOMFY_TOKEN: 'test-token',
      KONTEXT_TEST_FAST_POLL: '1',
    };
    const delays: number[] = [];
    const session = await openProviderSession('runcomfy', createRuntime({ env }), {
      onRetry: (n) => delays.push(n.delayMs),
    });
    try {
      await session.provider.submit(await editRequest());
    } finally {
      await session.close();
    }
    // Without the knob the windows are 1, 2 and 4 s: three draws all under 200 ms 1 time in 1,000.
    expect(delays).toHaveLength(3);
    expect(Math.max(...delays)).toBeLessThanOrEqual(200);
  });
});
