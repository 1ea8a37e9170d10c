import { describe, expect, it } from 'vitest';
import {
  InputRejectedError,
  OutputMissingError,
  RemoteCancelledError,
  RequestGoneError,
} from '../../../src/providers/runcomfy/errors.js';
import {
  hostedAnew,
  mayResubmit,
  OutcomeUnknownError,
  requestKept,
  unsettled,
  waitForUsableOutput,
} from '../../../src/run/remote-outcome.js';

/** A wait that answers each of `replies` in turn (an Error is thrown). */
function scripted(replies: readonly (readonly string[] | Error)[]) {
  let n = 0;
  const wait = async (): Promise<{ outputUrls: readonly string[] }> => {
    const r = replies[Math.min(n++, replies.length - 1)];
    if (r instanceof Error) throw r;
    return { outputUrls: r ?? [] };
  };
  return { wait, calls: () => n };
}

function options(delaysMs: readonly number[]) {
  const pauses: number[] = [];
  return {
    pauses,
    o: {
      requestId: 'r1',
      delaysMs,
      sleep: async (ms: number) => {
        pauses.push(ms);
      },
      signal: new AbortController().signal,
      onReread: () => undefined,
    },
  };
}

describe('waitForUsableOutput', () => {
  it('reads again while the output URL is missing or unusable, then returns the first usable one', async () => {
    const s = scripted([
      ['https://', 'ftp://cdn.example/a.png'],
      new OutputMissingError('none'),
      ['https://cdn.example/a.png'],
    ]);
    const { o, pauses } = options([5, 6, 7]);
    const got = await waitForUsableOutput(s.wait, o);
    expect(got.url).toBe('https://cdn.example/a.png');
    expect(s.calls()).toBe(3);
    expect(pauses).toEqual([5, 6]);
  });

  it('gives up after the last pause with OutputMissingError', async () => {
    const s = scripted([[]]);
    const { o } = options([1, 1]);
    await expect(waitForUsableOutput(s.wait, o)).rejects.toBeInstanceOf(OutputMissingError);
    expect(s.calls()).toBe(3);
  });

  it("reads again after a 404 that is not the service's word (a proxy's), not after another refusal", async () => {
    const stray = scripted([new InputRejectedError('HTTP 404: <html>', { status: 404 }), ['https://x/y.png']]);
    expect((await waitForUsableOutput(stray.wait, options([1, 1]).o)).url).toBe('https://x/y.png');
    expect(stray.calls()).toBe(2);
    const refused = scripted([new InputRejectedError('HTTP 422', { status: 422 })]);
    await expect(waitForUsableOutput(refused.wait, options([1, 1]).o)).rejects.toBeInstanceOf(InputRejectedError);
    expect(refused.calls()).toBe(1);
  });

  it('does not read again after any other error', async () => {
    const s = scripted([new RequestGoneError('gone')]);
    const { o } = options([1, 1]);
    await expect(waitForUsableOutput(s.wait, o)).rejects.toBeInstanceOf(RequestGoneError);
    expect(s.calls()).toBe(1);
  });
});

describe('unsettled and mayResubmit', () => {
  const at = { node: 'n', requestId: 'r1', provider: 'runcomfy' };

  it('a missing output and a refused read become E_OUTCOME_UNKNOWN (exit 75); others pass through', () => {
    const missing = unsettled(new OutputMissingError('no url'), at, 2);
    expect(missing).toBeInstanceOf(OutcomeUnknownError);
    expect((missing as OutcomeUnknownError).exitCode).toBe(75);
    expect((missing as Error).message).toContain('read 3 times');
    const proxied = unsettled(new InputRejectedError('HTTP 404: <html>', { status: 404 }), at, 0);
    expect(proxied).toBeInstanceOf(OutcomeUnknownError);
    const gone = new RequestGoneError('gone');
    expect(unsettled(gone, at, 0)).toBe(gone);
  });

  it('a kept error is kept for its own node only: one interrupt fails many nodes (walk-z 2)', () => {
    const interrupt = new Error('interrupted');
    expect(unsettled(interrupt, at, 0, true)).toBe(interrupt);
    expect(requestKept(interrupt, 'n')).toBe(true);
    expect(requestKept(interrupt, 'cancelled-while-queued')).toBe(false);
    expect(unsettled(interrupt, { ...at, node: 'other' }, 0, false)).toBe(interrupt);
    expect(requestKept(interrupt, 'other')).toBe(false);
  });

  it('only a proven gone or a cancellation resubmits, unless the run allows paying twice', () => {
    const unknown = new OutcomeUnknownError('?', 'runcomfy', undefined);
    expect(mayResubmit(new RequestGoneError('gone'), false)).toBe(true);
    expect(mayResubmit(new RemoteCancelledError('cancelled'), false)).toBe(true);
    expect(mayResubmit(unknown, false)).toBe(false);
    expect(mayResubmit(unknown, true)).toBe(true);
    expect(mayResubmit(new InputRejectedError('HTTP 404', { status: 404 }), true)).toBe(false);
  });
});

describe('hostedAnew: whether an input hosted again after a failed fetch may fetch where it did not', () => {
  const now = 1_800_000_000_000;
  const failed = (
    expiresAt: number | null,
    url = 'https://b/k.jpg?sig=1',
    via: 's3' | 'cache' | 'remote-output' = 's3',
  ) => ({
    url,
    via,
    expiresAt,
  });
  const s3 = (uploadedBytes: number, url = 'https://b/k.jpg?sig=2') =>
    ({ url, via: 's3', uploadedBytes, expiresAt: now + 3_600_000 }) as const;

  it('S3: only an object uploaded again, or a failed URL expired or about to, whatever the signature', () => {
    // Signed anew (another URL) for an object that is there, the failed URL valid for an hour: nothing new.
    expect(hostedAnew(s3(0), failed(now + 3_600_000), now)).toBe(false);
    expect(hostedAnew(s3(0, 'https://b/k.jpg?sig=1'), failed(now + 3_600_000), now)).toBe(false);
    // The object was gone, and uploaded again.
    expect(hostedAnew(s3(1234), failed(now + 3_600_000), now)).toBe(true);
    // The failed URL expired in the queue, or was about to (within 5 min).
    expect(hostedAnew(s3(0), failed(now - 1000), now)).toBe(true);
    expect(hostedAnew(s3(0), failed(now + 4 * 60_000), now)).toBe(true);
    // A public URL (never expires) for an object that is there; a record's URL alike.
    expect(hostedAnew(s3(0, 'https://cdn/k.jpg'), failed(null, 'https://cdn/k.jpg'), now)).toBe(false);
    expect(hostedAnew(s3(0), failed(now + 3_600_000, 'https://b/k.jpg?sig=1', 'cache'), now)).toBe(false);
  });

  it("a provider's output URL that failed, now hosted on S3, the blob there: another URL, new (review-w)", () => {
    const output = failed(null, 'https://api.example/files/out.png', 'remote-output');
    expect(hostedAnew(s3(0), output, now)).toBe(true);
  });

  it('a command, or a URL as is: another URL is new, the same one is not', () => {
    const command = (url: string) => ({ url, via: 'command', uploadedBytes: 0, expiresAt: null }) as const;
    expect(hostedAnew(command('https://c/2.jpg'), failed(null, 'https://c/1.jpg'), now)).toBe(true);
    expect(hostedAnew(command('https://c/1.jpg'), failed(null, 'https://c/1.jpg'), now)).toBe(false);
  });
});
