import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../../src/errors.js';
import { createFalProvider } from '../../../src/providers/fal/client.js';
import { resolveFalKey } from '../../../src/providers/fal/auth.js';
import {
  AuthError,
  BalanceExhaustedError,
  DeadlineExceededError,
  DownloadHostRefusedError,
  InputRejectedError,
  OutputMissingError,
  type ProviderError,
  RateLimitedError,
  RemoteFailedError,
  SubmitUncertainError,
  UpstreamUnavailableError,
} from '../../../src/providers/runcomfy/errors.js';
import type { Provider } from '../../../src/providers/types.js';
import { ModeratedError } from '../../../src/providers/wire/moderated.js';
import { createRuntime } from '../../../src/runtime.js';
import { editRequest, FAL_KEY, FAST, falHarness, type HostedHarness, rejection } from './bfl-fal-harness.js';

let h: HostedHarness<Provider> | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const SUBMIT = '/fal-ai/flux-pro/kontext';
const REQUESTS = '/fal-ai/flux-pro/requests/';

describe('fal.ai: queue submit, status, result, download', () => {
  it('follows the returned URLs (no /kontext in them), reports the seed, downloads the default JPEG', async () => {
    h = await falHarness();
    const { requestId } = await h.provider.submit(await editRequest());
    const done = await h.provider.wait(requestId);
    expect(done.seed).toBe(7);
    expect(done.outputUrls[0]).toMatch(/\/fal-media\/files\/[^/]+\/output\.jpg$/);
    const got = await h.provider.download(done.outputUrls[0] ?? '', join(h.dir, 'out.jpg'));
    expect(got.mediaType).toBe('image/jpeg');
    const log = h.emulator.requestLog();
    expect(log.filter((e) => e.method === 'POST').map((e) => e.path)).toEqual([SUBMIT]);
    expect(
      log.filter((e) => e.method === 'GET' && e.path.includes(REQUESTS)).every((e) => !e.path.includes('kontext')),
    ).toBe(true);
    // The result was read once it was there: no failed reads.
    expect(log.filter((e) => e.status >= 400)).toEqual([]);
    const body = log[0]?.body ?? {};
    expect(String(body['image_url'])).toMatch(/^data:image\/png;base64,… \(\d+ chars\)$/);
    expect(body).toMatchObject({ seed: 7, output_format: 'jpeg', safety_tolerance: '2', num_images: 1 });
  });

  it('max submits to /kontext/max; png when asked; a re-attach by id alone rebuilds the URLs', async () => {
    h = await falHarness();
    const { requestId } = await h.provider.submit(
      await editRequest({ model: 'flux-kontext-max', params: { output_format: 'png' } }),
    );
    expect(h.count('POST', `${SUBMIT}/max`)).toBe(1);
    // Another client (a later run) knows only the request id.
    const other = createFalProvider({ key: FAL_KEY, baseUrl: h.emulator.origin, rt: h.rt, ...FAST });
    try {
      const done = await other.wait(requestId);
      expect(done.outputUrls[0]).toMatch(/output\.png$/);
    } finally {
      await other.close();
    }
  });

  it('cancels a queued request (PUT cancel_url); a finished one is not_cancellable', async () => {
    h = await falHarness({ scenario: { faults: [{ kind: 'stuck' }] } });
    const { requestId } = await h.provider.submit(await editRequest());
    expect(await h.provider.cancel(requestId)).toBe('cancelled');
    expect(h.count('PUT', `${REQUESTS}${requestId}/cancel`, 202)).toBe(1);
    const e = await rejection(h.provider.wait(requestId));
    expect((e as ProviderError).code).toBe('E_REMOTE_CANCELLED');
    h.emulator.setScenario({ faults: [{ kind: 'not-cancellable' }] });
    const next = await h.provider.submit(await editRequest({ seed: 9 }));
    expect(await h.provider.cancel(next.requestId)).toBe('not_cancellable');
  });

  it('CANCELLATION_REQUESTED for a request in progress is not a cancellation: it runs on, billed', async () => {
    h = await falHarness({ queueMs: 5, runMs: 1_500 });
    const { requestId } = await h.provider.submit(await editRequest());
    await new Promise((r) => setTimeout(r, 150)); // out of the queue: in progress
    expect(await h.provider.cancel(requestId)).toBe('not_cancellable');
    expect(h.count('PUT', `${REQUESTS}${requestId}/cancel`, 202)).toBe(1);
    // The one result read that checked it said "still in progress"; the request then finishes.
    const done = await h.provider.wait(requestId);
    expect(done.outputUrls).toHaveLength(1);
  });

  it('the deadline cancels a stuck request (exit 75)', async () => {
    h = await falHarness({ scenario: { faults: [{ kind: 'stuck' }] } });
    const { requestId } = await h.provider.submit(await editRequest());
    const e = await rejection(h.provider.wait(requestId, { deadlineMs: 120 }));
    expect(e).toBeInstanceOf(DeadlineExceededError);
    expect((e as DeadlineExceededError).cancelOutcome).toBe('cancelled');
  });

  it('a deadline that began before this wait (deadlineUsedMs, a wait again) ends it at once', async () => {
    h = await falHarness({ scenario: { faults: [{ kind: 'stuck' }] } });
    const { requestId } = await h.provider.submit(await editRequest());
    const e = await rejection(h.provider.wait(requestId, { deadlineMs: 60_000, deadlineUsedMs: 60_000 }));
    expect(e).toBeInstanceOf(DeadlineExceededError);
  });

  it('an output host outside *.fal.media is refused (65)', async () => {
    h = await falHarness({ scenario: { faults: [{ kind: 'untrusted-output-host', host: 'v3.fal.media.evil.test' }] } });
    const { requestId } = await h.provider.submit(await editRequest());
    const { outputUrls } = await h.provider.wait(requestId);
    const e = await rejection(h.provider.download(outputUrls[0] ?? '', join(h.dir, 'x.jpg')));
    expect(e).toBeInstanceOf(DownloadHostRefusedError);
    expect((e as ProviderError).hint).toMatch(/\*\.fal\.media/);
  });
});

describe('fal.ai: the status stream', () => {
  it('one stream request tells COMPLETED: no status polls, one result read, progress reported', async () => {
    h = await falHarness({ queueMs: 60, runMs: 60 });
    const { requestId } = await h.provider.submit(await editRequest());
    const states: string[] = [];
    const done = await h.provider.wait(requestId, { onState: (s) => states.push(s.phase) });
    expect(done.outputUrls).toHaveLength(1);
    expect(h.count('GET', '/status/stream', 200)).toBe(1);
    expect(h.count('GET', `${requestId}/status`) - h.count('GET', '/status/stream')).toBe(0);
    expect(h.count('GET', `${REQUESTS}${requestId}`) - h.count('GET', '/status')).toBe(1);
    expect(states).toEqual(['queued', 'running']);
  });

  it('a broken stream (reset) falls back to polling, which finishes the wait', async () => {
    h = await falHarness({ scenario: { faults: [{ kind: 'reset', on: 'status', nth: 1 }] } });
    const { requestId } = await h.provider.submit(await editRequest());
    const done = await h.provider.wait(requestId);
    expect(done.outputUrls).toHaveLength(1);
    expect(h.count('GET', '/status/stream', 0)).toBe(1);
    expect(h.count('POST', SUBMIT)).toBe(1);
  });

  it('a refused stream (401) falls back to polling, where the error is met for what it is (77)', async () => {
    h = await falHarness({ scenario: { faults: [{ kind: 'http', on: 'status', status: 401 }] } });
    const { requestId } = await h.provider.submit(await editRequest());
    const e = await rejection(h.provider.wait(requestId));
    expect(e).toBeInstanceOf(AuthError);
    expect(h.count('GET', '/status/stream', 401)).toBe(1);
  });
});

describe('fal.ai: failures map onto exit codes', () => {
  it('content_policy_violation on the result → ModeratedError (E_MODERATED, exit 1)', async () => {
    h = await falHarness({ scenario: { faults: [{ kind: 'remote-failed' }] } });
    const { requestId } = await h.provider.submit(await editRequest());
    const e = await rejection(h.provider.wait(requestId));
    expect(e).toBeInstanceOf(ModeratedError);
    expect((e as ProviderError).code).toBe('E_MODERATED');
    expect((e as ProviderError).exitCode).toBe(ExitCode.REMOTE_FAILED);
    expect(h.count('GET', REQUESTS, 422)).toBe(1);
  });

  it('an input fal could not fetch → RemoteFailedError that asks for re-hosting', async () => {
    h = await falHarness();
    const { requestId } = await h.provider.submit(await editRequest({ imageUrl: 'http://127.0.0.1:9/missing.png' }));
    const e = await rejection(h.provider.wait(requestId));
    expect(e).toBeInstanceOf(RemoteFailedError);
    expect((e as RemoteFailedError).inputFetchFailed).toBe(true);
  });

  it('COMPLETED, then a 400 of its own on the result → RemoteFailedError, not polled to the deadline', async () => {
    const error = { code: 'invalid_input', message: 'The input image is too small', status: 400 };
    h = await falHarness({ client: { statusStream: false }, scenario: { faults: [{ kind: 'remote-failed', error }] } });
    const { requestId } = await h.provider.submit(await editRequest());
    const e = await rejection(h.provider.wait(requestId, { deadlineMs: 3_000 }));
    expect(e).toBeInstanceOf(RemoteFailedError);
    expect((e as ProviderError).message).toMatch(/too small/);
    expect(h.count('PUT', '/cancel')).toBe(0);
    // An unfinished request's 400 "still in progress" stays a reason to keep polling (the happy path).
    h.emulator.setScenario({ queue_ms: 40 });
    const next = await h.provider.submit(await editRequest({ seed: 5 }));
    expect((await h.provider.wait(next.requestId)).outputUrls).toHaveLength(1);
  });

  it('after COMPLETED, a 400 that says the request is still being processed keeps the wait going', async () => {
    h = await falHarness();
    const message = 'Request is being processed';
    h.emulator.setScenario({ faults: [{ kind: 'http', on: 'result', status: 400, nth: 1, times: 2, message }] });
    const { requestId } = await h.provider.submit(await editRequest());
    expect((await h.provider.wait(requestId)).outputUrls).toHaveLength(1);
    expect(h.count('GET', REQUESTS, 400)).toBe(2);
  });

  it("a result read's 'unknown request' is checked by a status read, not taken for a lost request", async () => {
    h = await falHarness({ queueMs: 40 });
    const { requestId } = await h.provider.submit(await editRequest());
    // fal has not documented an early result read's reply: a JSON 404 naming the request must not end the wait.
    const message = `Request ${requestId} not found`;
    h.emulator.setScenario({ queue_ms: 40, faults: [{ kind: 'http', on: 'result', status: 404, nth: 1, message }] });
    expect((await h.provider.wait(requestId)).outputUrls).toHaveLength(1);
    expect(h.count('GET', REQUESTS, 404)).toBe(1);
    expect(h.count('POST', SUBMIT)).toBe(1);
  });

  it.each([
    [401, AuthError, ExitCode.NO_PERM],
    [402, BalanceExhaustedError, ExitCode.DATA_ERR],
    [422, InputRejectedError, ExitCode.DATA_ERR],
  ] as const)('submit HTTP %i → %o, exit %i, never retried', async (status, type, exit) => {
    h = await falHarness({ scenario: { faults: [{ kind: 'http', on: 'submit', status }] } });
    const e = await rejection(h.provider.submit(await editRequest()));
    expect(e).toBeInstanceOf(type);
    expect((e as ProviderError).exitCode).toBe(exit);
    expect(h.count('POST', SUBMIT)).toBe(1);
  });

  it('403 "User is locked. Reason: Exhausted balance" is a balance problem (65), not auth', async () => {
    h = await falHarness({
      scenario: {
        faults: [
          {
            kind: 'http',
            on: 'submit',
            status: 403,
            message: 'User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing',
          },
        ],
      },
    });
    const e = await rejection(h.provider.submit(await editRequest()));
    expect(e).toBeInstanceOf(BalanceExhaustedError);
    expect((e as ProviderError).hint).toMatch(/fal\.ai\/dashboard\/billing/);
  });

  it('429 with and without Retry-After on status reads: retried, then done; the submit is never repeated', async () => {
    h = await falHarness({
      queueMs: 60,
      client: { statusStream: false },
      scenario: {
        faults: [
          { kind: 'http', on: 'status', nth: 1, status: 429, retry_after: 0.03 },
          { kind: 'http', on: 'status', nth: 2, status: 429 },
        ],
      },
    });
    const { requestId } = await h.provider.submit(await editRequest());
    await h.provider.wait(requestId);
    expect(h.retries.slice(0, 2).map((r) => [r.call, r.reason])).toEqual([
      ['status', 'HTTP 429'],
      ['status', 'HTTP 429'],
    ]);
    expect(h.retries[0]?.delayMs).toBe(30);
    expect(h.count('POST', SUBMIT)).toBe(1);
  });

  it("503 on submit is retried (fal's own client does, a 5xx is not charged); a 500 is maybe accepted", async () => {
    h = await falHarness({ scenario: { faults: [{ kind: 'http', on: 'submit', nth: 1, status: 503 }] } });
    await h.provider.submit(await editRequest());
    expect(h.count('POST', SUBMIT)).toBe(2);
    expect(h.retries.map((r) => r.reason)).toEqual(['HTTP 503']);
    h.emulator.setScenario({ faults: [{ kind: 'http', on: 'submit', nth: 1, status: 500 }] });
    const e = await rejection(h.provider.submit(await editRequest()));
    expect(e).toBeInstanceOf(SubmitUncertainError);
    expect((e as ProviderError).hint).toMatch(/fal\.ai dashboard/);
    expect(h.count('POST', SUBMIT)).toBe(3);
  });

  it("429 forever on submit → RateLimitedError 75; a gateway's 5xx storm on results → 69", async () => {
    h = await falHarness({ scenario: { faults: [{ kind: 'http', on: 'submit', status: 429 }] } });
    const e = await rejection(h.provider.submit(await editRequest()));
    expect(e).toBeInstanceOf(RateLimitedError);
    expect((e as ProviderError).exitCode).toBe(ExitCode.TEMP_FAIL);
    h.emulator.setScenario({ faults: [{ kind: 'http', on: 'result', status: 503, body: 'html' }] });
    const { requestId } = await h.provider.submit(await editRequest());
    const f = await rejection(h.provider.wait(requestId));
    expect(f).toBeInstanceOf(UpstreamUnavailableError);
    expect((f as ProviderError).exitCode).toBe(ExitCode.UNAVAILABLE);
  });

  it("COMPLETED, then fal's 5xx request error on each result read → an unreadable result (75), not 69", async () => {
    // 69 on every later run, with no way out; an unreadable result is kept with its outcome
    // unknown, which --resubmit-uncertain may submit anew (fal does not charge a 5xx).
    for (const faults of [
      [{ kind: 'remote-failed' as const, error: { code: 'runner_crash', message: 'The runner crashed' } }],
      [{ kind: 'http' as const, on: 'result' as const, status: 503 }],
    ]) {
      h = await falHarness({ client: { statusStream: false }, scenario: { faults } });
      const { requestId } = await h.provider.submit(await editRequest());
      const e = await rejection(h.provider.wait(requestId));
      expect(e).toBeInstanceOf(OutputMissingError);
      expect((e as ProviderError).exitCode).toBe(ExitCode.TEMP_FAIL);
      expect((e as ProviderError).message).toMatch(
        /is COMPLETED, but its result answers .*HTTP 5\d\d.*runner_server_error/,
      );
      expect(h.count('PUT', '/cancel')).toBe(0);
      await h.close();
      h = undefined;
    }
  });
});

describe('fal.ai: the key', () => {
  it('FAL_KEY wins; else FAL_KEY_ID + FAL_KEY_SECRET; else a 77 naming the variables', () => {
    expect(resolveFalKey(createRuntime({ env: { FAL_KEY: ' a:b ' } }))).toBe('a:b');
    expect(resolveFalKey(createRuntime({ env: { FAL_KEY_ID: 'i', FAL_KEY_SECRET: 's' } }))).toBe('i:s');
    let e: unknown;
    try {
      resolveFalKey(createRuntime({ env: { FAL_KEY_ID: 'i' } }));
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(AuthError);
    expect((e as ProviderError).hint).toMatch(/FAL_KEY_ID/);
  });

  it('the API answers 401 without "Authorization: Key" (a wrong scheme is not accepted)', async () => {
    h = await falHarness();
    const res = await fetch(`${h.emulator.origin}${SUBMIT}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${FAL_KEY}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(401);
  });
});
