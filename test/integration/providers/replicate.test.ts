import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode, type KontextError } from '../../../src/errors.js';
import { ModeratedError } from '../../../src/providers/wire/moderated.js';
import {
  AuthError,
  BalanceExhaustedError,
  DeadlineExceededError,
  DownloadHostRefusedError,
  InputRejectedError,
  RateLimitedError,
  RemoteCancelledError,
  RemoteFailedError,
  SubmitUncertainError,
  UpstreamUnavailableError,
} from '../../../src/providers/runcomfy/errors.js';
import { editRequest, rejection, replicateHarness, type ReplicateHarness } from './replicate-harness.js';

let h: ReplicateHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function editOnce(hh: ReplicateHarness): Promise<string[]> {
  const { requestId } = await hh.provider.submit(await editRequest());
  return [...(await hh.provider.wait(requestId)).outputUrls];
}

describe('Replicate client against the emulator', () => {
  it('by default a create is not held: its id comes back at once, the job is read until done', async () => {
    h = await replicateHarness({ runMs: 150 });
    expect(await editOnce(h)).toHaveLength(1);
    const create = h.emulator.requestLog().find((e) => e.method === 'POST');
    // The emulator tags a create it held (`held ≤Ns`).
    expect(create?.fault ?? '').not.toContain('held');
    expect(h.counts().read).toBeGreaterThanOrEqual(1);
  });

  it('a short job comes back finished from a held create (holdS 4): no read at all, then one download', async () => {
    h = await replicateHarness({ client: { holdS: 4 } });
    const urls = await editOnce(h);
    expect(urls).toHaveLength(1);
    expect(urls[0]).toMatch(/\/replicate-delivery\/[^/]+\/output\.png$/);
    const got = await h.provider.download(urls[0] ?? '', join(h.dir, 'out.png'));
    expect(got.image?.kind).toBe('png');
    expect(h.counts()).toEqual({ create: 1, read: 0, cancel: 0, download: 1 });
    const create = h.emulator.requestLog().find((e) => e.method === 'POST');
    expect(create?.body).toMatchObject({ prompt: 'Make the sky orange', seed: 7, output_format: 'png' });
    expect(create?.fault).toBe('held ≤4s');
  });

  it('a job longer than the hold is read on the schedule until it succeeds (jpg as asked)', async () => {
    h = await replicateHarness({ runMs: 400, client: { holdS: 0 } });
    const { requestId } = await h.provider.submit(await editRequest({ params: { output_format: 'jpg' } }));
    const states: string[] = [];
    const { outputUrls } = await h.provider.wait(requestId, { onState: (s) => states.push(s.phase) });
    expect(outputUrls[0]).toMatch(/output\.jpg$/);
    expect(states).toContain('running');
    expect(h.counts().read).toBeGreaterThan(0);
    expect((await h.provider.download(outputUrls[0] ?? '', join(h.dir, 'o.jpg'))).image?.kind).toBe('jpeg');
  });

  it('learned finishing times aim later reads: no reads before the earliest finish', async () => {
    h = await replicateHarness({ queueMs: 0, runMs: 300, client: { holdS: 0 } });
    for (let i = 0; i < 3; i++) await editOnce(h); // learning (blind backoff)
    const before = h.counts().read;
    const t0 = Date.now();
    const { requestId } = await h.provider.submit(await editRequest({ seed: 99 }));
    await h.provider.wait(requestId, { submittedAt: t0 });
    const reads = h.emulator
      .requestLog()
      .filter((e) => e.method === 'GET' && e.path === `/v1/predictions/${requestId}`)
      .map((e) => Date.parse(e.time) - t0);
    expect(h.counts().read - before).toBe(reads.length);
    expect(Math.min(...reads)).toBeGreaterThanOrEqual(250); // nothing spent before the window opens
    expect(reads.length).toBeLessThanOrEqual(3);
  });

  it('moderation (E005) is its own error: E_MODERATED, exit 1, still a remote failure', async () => {
    h = await replicateHarness({ scenario: { faults: [{ kind: 'remote-failed' }] } });
    const e = await rejection(editOnce(h));
    expect(e).toBeInstanceOf(ModeratedError);
    expect(e).toBeInstanceOf(RemoteFailedError);
    expect((e as KontextError).code).toBe('E_MODERATED');
    expect((e as KontextError).exitCode).toBe(ExitCode.REMOTE_FAILED);
    expect((e as Error).message).toMatch(/E005/);
    expect((e as KontextError).hint).toMatch(/safety filter/);
  });

  it('429 on create with Retry-After: waits that long, then the create goes through once', async () => {
    h = await replicateHarness({
      scenario: { faults: [{ kind: 'http', on: 'submit', status: 429, nth: 1, retry_after: 0.2 }] },
    });
    await editOnce(h);
    expect(h.retries.map((r) => [r.call, r.delayMs, r.reason])).toEqual([['submit', 200, 'HTTP 429']]);
    expect(
      h.emulator
        .requestLog()
        .filter((e) => e.method === 'POST')
        .map((e) => e.status),
    ).toEqual([429, 201]);
  });

  it('429 without Retry-After: backoff, then through; for ever: exit 75 after the attempts', async () => {
    h = await replicateHarness({
      scenario: { faults: [{ kind: 'http', on: 'submit', status: 429, nth: 1, times: 2 }] },
    });
    await editOnce(h);
    expect(h.retries).toHaveLength(2);
    await h.close();
    h = await replicateHarness({ scenario: { faults: [{ kind: 'http', on: 'submit', status: 429 }] } });
    const e = await rejection(editOnce(h));
    expect(e).toBeInstanceOf(RateLimitedError);
    expect((e as KontextError).exitCode).toBe(ExitCode.TEMP_FAIL);
    expect((e as Error).message).toMatch(/resets in ~30s/);
    expect(h.counts().create).toBe(4);
  });

  it('a 5xx storm on reads is ridden out; a lasting one is exit 69', async () => {
    const storm = { kind: 'http', on: 'status', status: 502, nth: 1, times: 3 } as const;
    h = await replicateHarness({ runMs: 150, client: { holdS: 0 }, scenario: { faults: [storm] } });
    await editOnce(h);
    expect(h.retries.filter((r) => r.reason === 'HTTP 502')).toHaveLength(3);
    expect(h.counts().create).toBe(1);
    await h.close();
    h = await replicateHarness({
      client: { holdS: 0 },
      scenario: { faults: [{ kind: 'http', on: 'status', status: 500 }] },
    });
    const e = await rejection(editOnce(h));
    expect(e).toBeInstanceOf(UpstreamUnavailableError);
    expect((e as KontextError).exitCode).toBe(ExitCode.UNAVAILABLE);
    expect(h.counts().create).toBe(1);
  });

  it('never creates twice: a 500, a 503 or a reset after sending is not retried (maybe created)', async () => {
    for (const status of [500, 503]) {
      h = await replicateHarness({ scenario: { faults: [{ kind: 'http', on: 'submit', status }] } });
      const e = await rejection(editOnce(h));
      expect(e).toBeInstanceOf(SubmitUncertainError);
      expect((e as KontextError).hint).toMatch(/replicate\.com\/predictions/);
      expect(h.counts().create).toBe(1);
      expect(h.retries).toEqual([]);
      await h.close();
    }
    h = await replicateHarness({ scenario: { faults: [{ kind: 'reset', on: 'submit' }] } });
    const e = await rejection(editOnce(h));
    expect(e).toBeInstanceOf(SubmitUncertainError);
    expect(h.counts().create).toBe(1);
    expect(h.retries).toEqual([]);
  });

  it('401 → exit 77 (hint names REPLICATE_API_TOKEN), 402 → exit 65, 422 → exit 65; none retried', async () => {
    for (const [status, type, exit] of [
      [401, AuthError, ExitCode.NO_PERM],
      [402, BalanceExhaustedError, ExitCode.DATA_ERR],
      [422, InputRejectedError, ExitCode.DATA_ERR],
    ] as const) {
      h = await replicateHarness({ scenario: { faults: [{ kind: 'http', on: 'submit', status }] } });
      const e = await rejection(editOnce(h));
      expect(e).toBeInstanceOf(type);
      expect((e as KontextError).exitCode).toBe(exit);
      expect(h.counts().create).toBe(1);
      if (status === 401) expect((e as KontextError).hint).toMatch(/REPLICATE_API_TOKEN/);
      if (status === 402) expect((e as KontextError).hint).toMatch(/replicate\.com\/account\/billing/);
      await h.close();
      h = undefined;
    }
  });

  it("cancel leaves a running prediction to finish (it is paid for: its result is the next run's)", async () => {
    h = await replicateHarness({ queueMs: 0, runMs: 1500, client: { holdS: 0 } });
    const { requestId } = await h.provider.submit(await editRequest());
    await new Promise((r) => setTimeout(r, 100));
    expect(await h.provider.cancel(requestId)).toBe('not_cancellable');
    expect(h.counts().cancel).toBe(0);
    expect((await h.provider.wait(requestId)).outputUrls).toHaveLength(1);
  });

  it('cancel cancels a prediction not started yet; its wait then ends cancelled', async () => {
    h = await replicateHarness({ queueMs: 30_000, runMs: 100, client: { holdS: 0 } });
    const { requestId } = await h.provider.submit(await editRequest());
    expect(await h.provider.cancel(requestId)).toBe('cancelled');
    expect(await rejection(h.provider.wait(requestId))).toBeInstanceOf(RemoteCancelledError);
    expect(h.counts().cancel).toBe(1);
  });

  it('the deadline cancels the prediction and is exit 75', async () => {
    h = await replicateHarness({ queueMs: 0, runMs: 5000, client: { holdS: 0 } });
    const { requestId } = await h.provider.submit(await editRequest());
    const e = await rejection(h.provider.wait(requestId, { deadlineMs: 200 }));
    expect(e).toBeInstanceOf(DeadlineExceededError);
    expect((e as DeadlineExceededError).cancelOutcome).toBe('cancelled');
    expect(h.counts().cancel).toBe(1);
  });

  it('a deadline that began before this wait (deadlineUsedMs, a wait again) ends it at once', async () => {
    h = await replicateHarness({ queueMs: 0, runMs: 5000, client: { holdS: 0 } });
    const { requestId } = await h.provider.submit(await editRequest());
    const e = await rejection(h.provider.wait(requestId, { deadlineMs: 60_000, deadlineUsedMs: 60_000 }));
    expect(e).toBeInstanceOf(DeadlineExceededError);
    expect(h.counts().cancel).toBe(1);
  });

  it('an output on a host outside replicate.delivery is refused (exit 65), nothing fetched', async () => {
    h = await replicateHarness({ scenario: { faults: [{ kind: 'untrusted-output-host', host: 'evil.example.com' }] } });
    const [url] = await editOnce(h);
    const e = await rejection(h.provider.download(url ?? '', join(h.dir, 'x.png')));
    expect(e).toBeInstanceOf(DownloadHostRefusedError);
    expect((e as KontextError).hint).toMatch(/\*\.replicate\.delivery/);
    expect(h.counts().download).toBe(0);
  });

  it('an inline image over the cap is refused before any request, pointing at hosting', async () => {
    h = await replicateHarness();
    const big = `data:image/png;base64,${'A'.repeat(10_000_000)}`;
    const e = await rejection(h.provider.submit(await editRequest({ imageUrl: big })));
    expect((e as KontextError).code).toBe('E_IMAGE_TOO_LARGE');
    expect((e as KontextError).exitCode).toBe(ExitCode.DATA_ERR);
    expect((e as KontextError).hint).toMatch(/hosting:/);
    expect(h.emulator.requestLog()).toEqual([]);
  });

  it('bad params are refused by the model table before any request', async () => {
    h = await replicateHarness();
    const e = await rejection(h.provider.submit(await editRequest({ params: { output_format: 'webp' } })));
    expect((e as KontextError).exitCode).toBe(ExitCode.DATA_ERR);
    expect(h.emulator.requestLog()).toEqual([]);
  });
});
