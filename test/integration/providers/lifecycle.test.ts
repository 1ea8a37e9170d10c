import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../../src/errors.js';
import {
  DeadlineExceededError,
  type ProviderError,
  RemoteCancelledError,
  RemoteFailedError,
  RequestGoneError,
} from '../../../src/providers/runcomfy/errors.js';
import { editRequest, harness, rejection, type Harness } from './harness.js';
import { stopEventLoop } from '../../helpers/stopped.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('request lifecycle faults', () => {
  it('stuck in the queue past a short deadline → cancel sent, DeadlineExceededError exit 75', async () => {
    h = await harness({ scenario: { faults: [{ kind: 'stuck' }] } });
    const { requestId } = await h.provider.submit(await editRequest());
    const positions: (number | undefined)[] = [];
    const e = await rejection(
      h.provider.wait(requestId, {
        // Long enough for several reads on a loaded machine: a read in flight at the deadline is cut off.
        deadlineMs: 600,
        onState: (s) => s.phase === 'queued' && positions.push(s.position),
      }),
    );
    expect(e).toBeInstanceOf(DeadlineExceededError);
    expect((e as DeadlineExceededError).exitCode).toBe(ExitCode.TEMP_FAIL);
    expect((e as DeadlineExceededError).cancelOutcome).toBe('cancelled');
    expect((e as Error).message).toContain('was cancelled');
    expect(positions).toEqual([1]); // reported once: only changes are reported
    expect(h.count('POST', `/v1/requests/${requestId}/cancel`)).toBe(1);
    expect(h.count('GET', '/status')).toBeGreaterThan(2);
  });

  it('a request done while the process was stopped past its deadline is read, not cancelled (walk-ac 2)', async () => {
    // Done at the emulator within the first poll pause, 150 ms; the stop from 100 ms to 500 ms
    // (the event loop blocked: the emulator is stopped too) spans the deadline, 120 ms. On waking
    // its timer ran first and the request done long before was cancelled (exit 75).
    h = await harness({ queueMs: 1, runMs: 1, client: { poll: { firstDelayMs: 150, factor: 1, maxDelayMs: 150 } } });
    const { requestId } = await h.provider.submit(await editRequest());
    const waiting = h.provider.wait(requestId, { deadlineMs: 120 });
    setTimeout(() => stopEventLoop(400), 100);
    expect((await waiting).outputUrls).toHaveLength(1);
    expect(h.count('POST', `/v1/requests/${requestId}/cancel`)).toBe(0);
  });

  it('the client-wide default deadline applies when wait() gives none', async () => {
    h = await harness({ scenario: { faults: [{ kind: 'stuck' }] }, client: { deadlineMs: 120 } });
    const { requestId } = await h.provider.submit(await editRequest());
    const e = await rejection(h.provider.wait(requestId));
    expect(e).toBeInstanceOf(DeadlineExceededError);
  });

  it('the client-wide default deadline is cut by deadlineUsedMs when given (a wait after a stray 404)', async () => {
    h = await harness({ scenario: { faults: [{ kind: 'stuck' }] }, client: { deadlineMs: 60_000 } });
    const { requestId } = await h.provider.submit(await editRequest());
    const e = await rejection(h.provider.wait(requestId, { deadlineUsedMs: 60_000 }));
    expect(e).toBeInstanceOf(DeadlineExceededError);
    expect(h.count('GET', '/status')).toBe(0);
  });

  it('a request that cannot be cancelled at the deadline says so', async () => {
    h = await harness({ scenario: { faults: [{ kind: 'stuck' }, { kind: 'not-cancellable' }] } });
    const { requestId } = await h.provider.submit(await editRequest());
    const e = await rejection(h.provider.wait(requestId, { deadlineMs: 120 }));
    expect((e as DeadlineExceededError).cancelOutcome).toBe('not_cancellable');
    expect((e as Error).message).toMatch(/could not be cancelled/);
  });

  it('not_cancellable is reported by cancel()', async () => {
    h = await harness({ scenario: { faults: [{ kind: 'not-cancellable' }] } });
    const { requestId } = await h.provider.submit(await editRequest());
    expect(await h.provider.cancel(requestId)).toBe('not_cancellable');
  });

  it('a request that fails remotely → RemoteFailedError exit 1 with the remote message', async () => {
    h = await harness({ scenario: { faults: [{ kind: 'remote-failed' }] } });
    const { requestId } = await h.provider.submit(await editRequest());
    const e = await rejection(h.provider.wait(requestId));
    expect(e).toBeInstanceOf(RemoteFailedError);
    expect((e as ProviderError).exitCode).toBe(ExitCode.REMOTE_FAILED);
    expect((e as Error).message).toMatch(/moderated/i);
    expect((e as RemoteFailedError).remoteError).toMatchObject({ code: 'content_moderated' });
    expect((e as ProviderError).requestId).toBe(requestId);
  });

  it('a custom remote error string is carried as is', async () => {
    h = await harness({ scenario: { faults: [{ kind: 'remote-failed', error: 'NSFW content detected' }] } });
    const { requestId } = await h.provider.submit(await editRequest());
    const e = await rejection(h.provider.wait(requestId));
    expect((e as Error).message).toContain('NSFW content detected');
  });

  it('a request cancelled by someone else → RemoteCancelledError', async () => {
    h = await harness({ scenario: { faults: [{ kind: 'stuck' }] } });
    const { requestId } = await h.provider.submit(await editRequest());
    const waiting = rejection(h.provider.wait(requestId));
    await new Promise((r) => setTimeout(r, 50));
    expect(await h.provider.cancel(requestId)).toBe('cancelled');
    const e = await waiting;
    expect(e).toBeInstanceOf(RemoteCancelledError);
    expect((e as ProviderError).exitCode).toBe(ExitCode.REMOTE_FAILED);
  });

  it('an unknown request id → RequestGoneError exit 75 (404001), not retried', async () => {
    h = await harness();
    const e = await rejection(h.provider.wait('no-such-request'));
    expect(e).toBeInstanceOf(RequestGoneError);
    expect((e as ProviderError).exitCode).toBe(ExitCode.TEMP_FAIL);
    expect((e as ProviderError).errorCode).toBe(404001);
    expect(h.count('GET', '/status')).toBe(1);
  });

  it('firstPollAfter: no poll goes out before it settles, and its failure is the failure of the wait', async () => {
    h = await harness();
    const { requestId } = await h.provider.submit(await editRequest());
    let released = 0;
    const gate = new Promise<void>((resolve) =>
      setTimeout(() => {
        released = Date.now();
        resolve();
      }, 150),
    );
    await h.provider.wait(requestId, { firstPollAfter: gate });
    const polls = h.emulator.requestLog().filter((e) => e.path.startsWith(`/v1/requests/${requestId}/`));
    expect(polls.length).toBeGreaterThan(0);
    expect(Math.min(...polls.map((e) => Date.parse(e.time)))).toBeGreaterThanOrEqual(released - 1);

    const second = await h.provider.submit(await editRequest({ seed: 8 }));
    const e = await rejection(
      h.provider.wait(second.requestId, { firstPollAfter: Promise.reject(new Error('journal write failed')) }),
    );
    expect((e as Error).message).toBe('journal write failed');
    expect(h.emulator.requestLog().filter((x) => x.path.startsWith(`/v1/requests/${second.requestId}/`))).toHaveLength(
      0,
    );
  });
});
