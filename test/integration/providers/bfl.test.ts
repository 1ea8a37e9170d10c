import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../../src/errors.js';
import {
  AuthError,
  BalanceExhaustedError,
  DeadlineExceededError,
  DownloadFailedError,
  DownloadHostRefusedError,
  InputRejectedError,
  type ProviderError,
  RateLimitedError,
  RemoteFailedError,
  RequestGoneError,
  SubmitUncertainError,
  UpstreamUnavailableError,
} from '../../../src/providers/runcomfy/errors.js';
import type { Provider } from '../../../src/providers/types.js';
import { ApiHostRefusedError } from '../../../src/providers/wire/hosts.js';
import { ModeratedError } from '../../../src/providers/wire/moderated.js';
import { BFL_KEY, bflHarness, editRequest, type HostedHarness, rejection } from './bfl-fal-harness.js';

let h: HostedHarness<Provider> | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const SUBMIT = '/v1/flux-kontext-';
const POLL = '/v1/get_result';

describe('BFL: submit, poll the polling_url as given, download at once', () => {
  it('polls the regional polling_url (another port), reports the seed, downloads a JPEG', async () => {
    h = await bflHarness();
    const { requestId } = await h.provider.submit(await editRequest({ params: { output_format: 'jpeg' } }));
    // The request id is the polling URL, on the emulator's second listener.
    expect(requestId.startsWith(`${h.emulator.pollOrigin}/v1/get_result?id=`)).toBe(true);
    expect(new URL(h.emulator.pollOrigin).port).not.toBe(new URL(h.emulator.origin).port);
    const done = await h.provider.wait(requestId);
    expect(done.seed).toBe(7);
    expect(done.outputUrls).toHaveLength(1);
    expect(done.outputUrls[0]).toMatch(/\/bfl-delivery\/[^/]+\/sample\.jpg\?se=\d+&sig=/);
    const got = await h.provider.download(done.outputUrls[0] ?? '', join(h.dir, 'out.jpg'));
    expect(got.mediaType).toBe('image/jpeg');
    expect((await readFile(join(h.dir, 'out.jpg'))).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    // No call ever went to a rebuilt URL on the base host (it answers 404 there).
    expect(h.count('GET', POLL, 404)).toBe(0);
    expect(h.count('POST', SUBMIT)).toBe(1);
    const log = h.emulator.requestLog();
    const body = log.find((e) => e.method === 'POST')?.body ?? {};
    // Raw base64, never a data: prefix (BFL's accepted form), with the table's defaults.
    expect(String(body['input_image'])).toMatch(/^base64… \(\d+ chars\)$/);
    expect(body).toMatchObject({ seed: 7, output_format: 'jpeg', prompt_upsampling: false, safety_tolerance: 2 });
  });

  it("learns each task's duration from BFL's own start_time and end_time (walk-ab 2)", async () => {
    const times = await mkdtemp(join(tmpdir(), 'kontext-bfl-times-'));
    h = await bflHarness({ queueMs: 40, runMs: 120, client: { pollTimesDir: times } });
    const durations: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { requestId } = await h.provider.submit(await editRequest());
      await h.provider.wait(requestId);
      const reply = (await (await fetch(requestId, { headers: { 'x-key': BFL_KEY } })).json()) as {
        result: { start_time: number; end_time: number };
      };
      durations.push(Math.round((reply.result.end_time - reply.result.start_time) * 1000));
    }
    await h.close(); // the provider saves what it learned as it closes
    h = undefined;
    const [file] = await readdir(times);
    const saved = JSON.parse(await readFile(join(times, file ?? ''), 'utf8')) as { samples: number[] };
    await rm(times, { recursive: true, force: true });
    expect(saved.samples).toEqual(durations);
  });

  it('max goes to /v1/flux-kontext-max; table prices; cancel is not_cancellable, no request', async () => {
    h = await bflHarness();
    const { requestId } = await h.provider.submit(await editRequest({ model: 'flux-kontext-max' }));
    expect(h.count('POST', '/v1/flux-kontext-max')).toBe(1);
    expect(await h.provider.cancel(requestId)).toBe('not_cancellable');
    expect(h.emulator.requestLog()).toHaveLength(1);
    expect((await h.provider.modelInfo('flux-kontext-max')).priceUsd).toBe(0.08);
    await h.provider.wait(requestId);
  });

  it('refuses to send the key to a polling host outside the allow-list (zero polls)', async () => {
    h = await bflHarness({ client: { allowHosts: [] } });
    // The base origin is trusted as configured; the polling listener is another host:port.
    const { requestId } = await h.provider.submit(await editRequest());
    const e = await rejection(h.provider.wait(requestId));
    expect(e).toBeInstanceOf(ApiHostRefusedError);
    expect((e as ProviderError).exitCode).toBe(ExitCode.DATA_ERR);
    expect(h.count('GET', POLL)).toBe(0);
  });

  it('a delivery URL past its 10 minutes (here 1 ms) is refused by the CDN: download fails with 69', async () => {
    h = await bflHarness({ deliveryTtlMs: 1 });
    const { requestId } = await h.provider.submit(await editRequest());
    const { outputUrls } = await h.provider.wait(requestId);
    await new Promise((r) => setTimeout(r, 10));
    const e = await rejection(h.provider.download(outputUrls[0] ?? '', join(h.dir, 'late.png')));
    expect(e).toBeInstanceOf(DownloadFailedError);
    expect((e as ProviderError).status).toBe(403);
    expect(await h.files()).toEqual([]);
  });

  it('an output host outside delivery*.bfl.ai (and KONTEXT_ALLOW_HOSTS) is refused, exit 65', async () => {
    h = await bflHarness({
      scenario: { faults: [{ kind: 'untrusted-output-host', host: 'delivery.bfl.ai.evil.test' }] },
    });
    const { requestId } = await h.provider.submit(await editRequest());
    const { outputUrls } = await h.provider.wait(requestId);
    const e = await rejection(h.provider.download(outputUrls[0] ?? '', join(h.dir, 'x.png')));
    expect(e).toBeInstanceOf(DownloadHostRefusedError);
    expect((e as ProviderError).hint).toMatch(/delivery\*\.bfl\.ai/);
  });
});

describe('BFL: failures map onto exit codes', () => {
  it('moderation → ModeratedError (E_MODERATED, exit 1) with the reasons', async () => {
    h = await bflHarness({ scenario: { faults: [{ kind: 'remote-failed' }] } });
    const { requestId } = await h.provider.submit(await editRequest());
    const e = await rejection(h.provider.wait(requestId));
    expect(e).toBeInstanceOf(ModeratedError);
    expect(e).toBeInstanceOf(RemoteFailedError);
    expect((e as ProviderError).code).toBe('E_MODERATED');
    expect((e as ProviderError).exitCode).toBe(ExitCode.REMOTE_FAILED);
    expect((e as Error).message).toMatch(/Content Moderated \(.*flagged/);
  });

  it('Request Moderated and Error statuses', async () => {
    h = await bflHarness({
      scenario: {
        faults: [
          { kind: 'remote-failed', nth: 1, error: { code: 'request_moderated', message: 'input flagged' } },
          { kind: 'remote-failed', nth: 2, error: { code: 'internal_error', message: 'the model crashed' } },
        ],
      },
    });
    const first = await h.provider.submit(await editRequest());
    const second = await h.provider.submit(await editRequest({ seed: 8 }));
    const a = await rejection(h.provider.wait(first.requestId));
    expect((a as Error).message).toMatch(/Request Moderated \(input flagged\)/);
    const b = await rejection(h.provider.wait(second.requestId));
    expect(b).toBeInstanceOf(RemoteFailedError);
    expect(b).not.toBeInstanceOf(ModeratedError);
    expect((b as Error).message).toMatch(/the model crashed/);
  });

  it('Task not found (JSON) → RequestGoneError (a re-attach submits anew)', async () => {
    h = await bflHarness();
    const e = await rejection(h.provider.wait(`${h.emulator.pollOrigin}/v1/get_result?id=no-such-task`));
    expect(e).toBeInstanceOf(RequestGoneError);
    expect((e as ProviderError).exitCode).toBe(ExitCode.TEMP_FAIL);
  });

  it.each([
    [401, AuthError, ExitCode.NO_PERM],
    [403, AuthError, ExitCode.NO_PERM],
    [402, BalanceExhaustedError, ExitCode.DATA_ERR],
    [422, InputRejectedError, ExitCode.DATA_ERR],
  ] as const)('submit HTTP %i → %o, exit %i, never retried', async (status, type, exit) => {
    h = await bflHarness({ scenario: { faults: [{ kind: 'http', on: 'submit', status }] } });
    const e = await rejection(h.provider.submit(await editRequest()));
    expect(e).toBeInstanceOf(type);
    expect((e as ProviderError).exitCode).toBe(exit);
    expect(h.count('POST', SUBMIT)).toBe(1);
    expect(h.retries).toEqual([]);
  });

  it('a missing key is a 403 "Not authenticated" from the API → 77', async () => {
    h = await bflHarness({ client: { key: ' ' } });
    const e = await rejection(h.provider.submit(await editRequest()));
    expect(e).toBeInstanceOf(AuthError);
    expect((e as ProviderError).hint).toMatch(/BFL_API_KEY/);
  });

  it('429 with Retry-After waits as told, without it backs off; then one accepted submit', async () => {
    h = await bflHarness({
      scenario: {
        faults: [
          { kind: 'http', on: 'submit', nth: 1, status: 429, retry_after: 0.05 },
          { kind: 'http', on: 'submit', nth: 2, status: 429 },
        ],
      },
    });
    const { requestId } = await h.provider.submit(await editRequest());
    await h.provider.wait(requestId);
    expect(h.count('POST', SUBMIT)).toBe(3);
    expect(h.count('POST', SUBMIT, 200)).toBe(1);
    expect(h.retries.map((r) => [r.call, r.reason])).toEqual([
      ['submit', 'HTTP 429'],
      ['submit', 'HTTP 429'],
    ]);
    expect(h.retries[0]?.delayMs).toBe(50);
    expect(h.retries[1]?.delayMs).toBeLessThanOrEqual(10);
  });

  it('429 that never ends → RateLimitedError, exit 75', async () => {
    h = await bflHarness({ scenario: { faults: [{ kind: 'http', on: 'submit', status: 429 }] } });
    const e = await rejection(h.provider.submit(await editRequest()));
    expect(e).toBeInstanceOf(RateLimitedError);
    expect((e as ProviderError).exitCode).toBe(ExitCode.TEMP_FAIL);
    expect(h.count('POST', SUBMIT)).toBe(4);
  });

  it('a 5xx storm on polls is retried, then UpstreamUnavailable (69); the submit is not repeated', async () => {
    h = await bflHarness({ scenario: { faults: [{ kind: 'http', on: 'status', status: 502 }] } });
    const { requestId } = await h.provider.submit(await editRequest());
    const e = await rejection(h.provider.wait(requestId));
    expect(e).toBeInstanceOf(UpstreamUnavailableError);
    expect((e as ProviderError).exitCode).toBe(ExitCode.UNAVAILABLE);
    expect(h.count('GET', POLL)).toBe(4);
    expect(h.count('POST', SUBMIT)).toBe(1);
  });

  it('500 on submit is not retried (it may have been accepted); a reset is "may have been submitted"', async () => {
    h = await bflHarness({
      scenario: {
        faults: [
          { kind: 'http', on: 'submit', nth: 1, status: 500 },
          { kind: 'reset', on: 'submit', nth: 2 },
        ],
      },
    });
    const a = await rejection(h.provider.submit(await editRequest()));
    expect(a).toBeInstanceOf(SubmitUncertainError);
    expect((a as ProviderError).message).toMatch(/HTTP 500.*may have been accepted/);
    const b = await rejection(h.provider.submit(await editRequest()));
    expect(b).toBeInstanceOf(SubmitUncertainError);
    expect((b as ProviderError).hint).toMatch(/BFL dashboard/);
    expect(h.count('POST', SUBMIT)).toBe(2);
  });

  it('the deadline passes on a stuck task: exit 75, nothing to cancel', async () => {
    h = await bflHarness({ scenario: { faults: [{ kind: 'stuck' }] } });
    const { requestId } = await h.provider.submit(await editRequest());
    const e = await rejection(h.provider.wait(requestId, { deadlineMs: 120 }));
    expect(e).toBeInstanceOf(DeadlineExceededError);
    expect((e as DeadlineExceededError).cancelOutcome).toBe('not_cancellable');
  });

  it('a deadline that began before this wait (deadlineUsedMs, a wait again) ends it at once', async () => {
    h = await bflHarness({ scenario: { faults: [{ kind: 'stuck' }] } });
    const { requestId } = await h.provider.submit(await editRequest());
    const e = await rejection(h.provider.wait(requestId, { deadlineMs: 60_000, deadlineUsedMs: 60_000 }));
    expect(e).toBeInstanceOf(DeadlineExceededError);
  });

  it('an inline image over the cap is refused before sending (413, pointing at hosting:)', async () => {
    h = await bflHarness();
    const big = `data:image/png;base64,${Buffer.alloc(11 * 1024 * 1024).toString('base64')}`;
    const e = await rejection(h.provider.submit(await editRequest({ imageUrl: big })));
    expect(e).toBeInstanceOf(InputRejectedError);
    expect((e as ProviderError).status).toBe(413);
    expect((e as ProviderError).hint).toMatch(/hosting:/);
    expect(h.emulator.requestLog()).toHaveLength(0);
  });
});
