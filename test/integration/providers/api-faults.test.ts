import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../../src/errors.js';
import {
  AuthError,
  BalanceExhaustedError,
  InputRejectedError,
  MalformedResponseError,
  NetworkError,
  type ProviderError,
  RateLimitedError,
  SubmitUncertainError,
  UpstreamUnavailableError,
} from '../../../src/providers/runcomfy/errors.js';
import { editRequest, harness, rejection, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const SUBMIT = '/v1/models/';

/** Submits the emulator accepted (HTTP 200), and submits it saw at all. */
function submits(hh: Harness): { accepted: number; seen: number } {
  const all = hh.emulator.requestLog().filter((e) => e.method === 'POST' && e.path.startsWith(SUBMIT));
  return { accepted: all.filter((e) => e.status === 200).length, seen: all.length };
}

async function runOnce(hh: Harness): Promise<string[]> {
  const { requestId } = await hh.provider.submit(await editRequest());
  return (await hh.provider.wait(requestId)).outputUrls as string[];
}

describe('auth and input errors are not retried', () => {
  it('401 → AuthError, exit 77, one submit', async () => {
    h = await harness({ scenario: { faults: [{ kind: 'http', on: 'submit', status: 401 }] } });
    const e = await rejection(h.provider.submit(await editRequest()));
    expect(e).toBeInstanceOf(AuthError);
    expect((e as AuthError).exitCode).toBe(ExitCode.NO_PERM);
    expect((e as AuthError).status).toBe(401);
    expect(submits(h).seen).toBe(1);
    expect(h.retries).toEqual([]);
  });

  it('400 with error_code 400004 → AuthError, exit 77', async () => {
    h = await harness({ scenario: { faults: [{ kind: 'http', on: 'status', status: 400, error_code: 400004 }] } });
    const { requestId } = await h.provider.submit(await editRequest());
    const e = await rejection(h.provider.wait(requestId));
    expect(e).toBeInstanceOf(AuthError);
    expect((e as AuthError).errorCode).toBe(400004);
    expect((e as AuthError).requestId).toBe(requestId);
    expect(h.count('GET', '/status')).toBe(1);
  });

  it('422 from real validation (bad aspect ratio) → InputRejectedError, exit 65', async () => {
    h = await harness();
    const e = await rejection(h.provider.submit(await editRequest({ aspectRatio: '5:4' })));
    expect(e).toBeInstanceOf(InputRejectedError);
    expect((e as InputRejectedError).exitCode).toBe(ExitCode.DATA_ERR);
    expect((e as InputRejectedError).status).toBe(422);
    expect((e as Error).message).toContain('aspect_ratio');
    expect(submits(h)).toEqual({ accepted: 0, seen: 1 });
  });

  it('400002 balance exhausted has its own code', async () => {
    h = await harness({
      scenario: {
        faults: [{ kind: 'http', on: 'submit', status: 400, error_code: 400002, message: 'Insufficient balance' }],
      },
    });
    const e = await rejection(h.provider.submit(await editRequest()));
    expect(e).toBeInstanceOf(BalanceExhaustedError);
    expect((e as ProviderError).code).toBe('E_BALANCE_EXHAUSTED');
    expect((e as ProviderError).exitCode).toBe(ExitCode.DATA_ERR);
  });

  it('HTTP 402 (insufficient balance, as the official clients read it) is a balance error, not bad input', async () => {
    h = await harness({ scenario: { faults: [{ kind: 'http', on: 'submit', status: 402 }] } });
    const e = await rejection(h.provider.submit(await editRequest()));
    expect(e).toBeInstanceOf(BalanceExhaustedError);
    expect((e as ProviderError).exitCode).toBe(ExitCode.DATA_ERR);
    expect((e as ProviderError).hint).toMatch(/balance/);
    expect(submits(h)).toEqual({ accepted: 0, seen: 1 });
  });

  it('HTTP 200 carrying error_code 400004 is an auth error', async () => {
    h = await harness({ scenario: { faults: [{ kind: 'http', on: 'submit', status: 200, error_code: 400004 }] } });
    const e = await rejection(h.provider.submit(await editRequest()));
    expect(e).toBeInstanceOf(AuthError);
    expect(submits(h).seen).toBe(1);
  });
});

describe('submit retries only refusals', () => {
  it('429 + Retry-After on the first two submits → waits as advertised, then one accepted submit', async () => {
    h = await harness({
      scenario: { faults: [{ kind: 'http', on: 'submit', nth: 1, times: 2, status: 429, retry_after: 0.05 }] },
    });
    expect(await runOnce(h)).toHaveLength(1);
    expect(submits(h)).toEqual({ accepted: 1, seen: 3 });
    expect(h.retries.map((r) => [r.call, r.reason, r.delayMs])).toEqual([
      ['submit', 'HTTP 429', 50],
      ['submit', 'HTTP 429', 50],
    ]);
  });

  it('persistent 429 → RateLimitedError exit 75 after maxAttempts', async () => {
    h = await harness({ scenario: { faults: [{ kind: 'http', on: 'submit', status: 429 }] } });
    const e = await rejection(h.provider.submit(await editRequest()));
    expect(e).toBeInstanceOf(RateLimitedError);
    expect((e as ProviderError).exitCode).toBe(ExitCode.TEMP_FAIL);
    expect(submits(h)).toEqual({ accepted: 0, seen: 4 });
    expect(h.retries.map((r) => r.reason)).toEqual(['HTTP 429', 'HTTP 429', 'HTTP 429']);
  });

  it('429 + Retry-After: 86400 on submit → 75 at once; on a read it is waited, clamped', async () => {
    h = await harness({ scenario: { faults: [{ kind: 'http', on: 'submit', status: 429, retry_after: 86_400 }] } });
    const e = await rejection(h.provider.submit(await editRequest()));
    expect(e).toBeInstanceOf(RateLimitedError);
    expect((e as ProviderError).exitCode).toBe(ExitCode.TEMP_FAIL);
    expect((e as ProviderError).message).toMatch(/asks to wait 86400 s .* not sent again/);
    expect(submits(h)).toEqual({ accepted: 0, seen: 1 });
    expect(h.retries).toEqual([]);
    h.emulator.setScenario({ faults: [{ kind: 'http', on: 'status', nth: 1, status: 429, retry_after: 86_400 }] });
    expect(await runOnce(h)).toHaveLength(1);
    expect(h.retries.map((r) => [r.call, r.delayMs])).toEqual([['status', 1_000]]);
  });

  for (const status of [500, 503])
    it(`${status} on submit is not retried (only 429 is a documented refusal) → maybe paid, exit 69`, async () => {
      h = await harness({ scenario: { faults: [{ kind: 'http', on: 'submit', nth: 1, status }] } });
      const e = await rejection(h.provider.submit(await editRequest()));
      expect(e).toBeInstanceOf(SubmitUncertainError);
      expect((e as ProviderError).message).toMatch(new RegExp(`HTTP ${status}.*may have been accepted`));
      expect((e as ProviderError).exitCode).toBe(ExitCode.UNAVAILABLE);
      expect(submits(h).seen).toBe(1);
      expect(h.retries).toEqual([]);
    });

  it('a reset on submit → SubmitUncertainError, never resubmitted', async () => {
    h = await harness({ scenario: { faults: [{ kind: 'reset', on: 'submit', nth: 1 }] } });
    const e = await rejection(h.provider.submit(await editRequest()));
    expect(e).toBeInstanceOf(SubmitUncertainError);
    expect((e as ProviderError).hint).toMatch(/may have been submitted/);
    expect(submits(h).seen).toBe(1);
    expect(h.retries).toEqual([]);
  });

  it('malformed JSON after a submit → SubmitUncertainError, never resubmitted', async () => {
    h = await harness({ scenario: { faults: [{ kind: 'malformed-json', on: 'submit', nth: 1 }] } });
    const e = await rejection(h.provider.submit(await editRequest()));
    expect(e).toBeInstanceOf(SubmitUncertainError);
    expect(submits(h).seen).toBe(1);
  });

  it('connection refused before sending → submit retried, then NetworkError exit 69', async () => {
    h = await harness();
    const closed = h.emulator.baseUrl;
    await h.emulator.close();
    const { createRunComfyProvider } = await import('../../../src/providers/runcomfy/client.js');
    const reasons: string[] = [];
    const p = createRunComfyProvider({
      baseUrl: closed,
      token: 'x-token-123',
      rt: h.rt,
      retry: { maxAttempts: 3, baseMs: 1, capMs: 2 },
      onRetry: (r) => reasons.push(r.reason),
    });
    const e = await rejection(p.submit(await editRequest()));
    await p.close();
    expect(e).toBeInstanceOf(NetworkError);
    expect((e as NetworkError).netCode).toBe('ECONNREFUSED');
    expect((e as NetworkError).exitCode).toBe(ExitCode.UNAVAILABLE);
    expect(reasons).toEqual(['ECONNREFUSED', 'ECONNREFUSED']);
  });
});

describe('idempotent calls retry transient failures', () => {
  it('500, 502, 503 on polls → retried, succeeds', async () => {
    h = await harness({
      scenario: {
        faults: [
          { kind: 'http', on: 'status', nth: 1, status: 500 },
          { kind: 'http', on: 'status', nth: 2, status: 502 },
          { kind: 'http', on: 'status', nth: 3, status: 503 },
        ],
      },
    });
    expect(await runOnce(h)).toHaveLength(1);
    expect(h.retries.map((r) => r.reason)).toEqual(['HTTP 500', 'HTTP 502', 'HTTP 503']);
    expect(submits(h).accepted).toBe(1);
  });

  it('a reset on a poll → retried', async () => {
    h = await harness({ scenario: { faults: [{ kind: 'reset', on: 'status', nth: 1 }] } });
    expect(await runOnce(h)).toHaveLength(1);
    expect(h.retries).toHaveLength(1);
    expect(h.retries[0]?.call).toBe('status');
  });

  it('malformed JSON on a poll → retried; on every poll → MalformedResponseError exit 69', async () => {
    h = await harness({ scenario: { faults: [{ kind: 'malformed-json', on: 'result', nth: 1 }] } });
    expect(await runOnce(h)).toHaveLength(1);
    expect(h.retries.map((r) => r.reason)).toEqual(['malformed reply']);
    h.emulator.setScenario({ faults: [{ kind: 'malformed-json', on: 'status' }] });
    const { requestId } = await h.provider.submit(await editRequest());
    const e = await rejection(h.provider.wait(requestId));
    expect(e).toBeInstanceOf(MalformedResponseError);
    expect((e as ProviderError).exitCode).toBe(ExitCode.UNAVAILABLE);
  });

  it('HTTP 200 carrying a 5xx-like error_code on a poll → retried', async () => {
    h = await harness({ scenario: { faults: [{ kind: 'http', on: 'status', nth: 1, status: 200 }] } });
    expect(await runOnce(h)).toHaveLength(1);
    expect(h.retries.map((r) => r.reason)).toEqual(['HTTP 200']);
  });

  it('persistent 503 on polls → UpstreamUnavailableError exit 69 after maxAttempts', async () => {
    h = await harness({ scenario: { faults: [{ kind: 'http', on: 'status', status: 503 }] } });
    const { requestId } = await h.provider.submit(await editRequest());
    const e = await rejection(h.provider.wait(requestId));
    expect(e).toBeInstanceOf(UpstreamUnavailableError);
    expect(h.count('GET', '/status')).toBe(4);
  });

  it('slow replies within the timeouts succeed', async () => {
    h = await harness({
      scenario: { faults: [{ kind: 'slow', on: 'any', delay_ms: 150 }] },
      client: { requestTimeoutMs: 2_000 },
    });
    expect(await runOnce(h)).toHaveLength(1);
    expect(h.retries).toEqual([]);
  });

  // undici checks header timeouts on a ~0.5 s tick, so the reply must be a lot slower than the limit.
  it('a reply slower than the request timeout → retried, then NetworkError exit 75', async () => {
    h = await harness({
      scenario: { faults: [{ kind: 'slow', on: 'model', delay_ms: 5_000 }] },
      client: { requestTimeoutMs: 100, retry: { maxAttempts: 2, baseMs: 1, capMs: 2 } },
    });
    const e = await rejection(h.provider.modelInfo('blackforestlabs/flux-1-kontext/pro/edit'));
    expect(e).toBeInstanceOf(NetworkError);
    expect((e as NetworkError).netCode).toBe('UND_ERR_HEADERS_TIMEOUT');
    expect((e as NetworkError).exitCode).toBe(ExitCode.TEMP_FAIL);
    expect(h.retries.map((r) => r.reason)).toEqual(['UND_ERR_HEADERS_TIMEOUT']);
  });
});
