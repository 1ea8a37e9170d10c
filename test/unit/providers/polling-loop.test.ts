import { describe, expect, it } from 'vitest';
import { InterruptedError } from '../../../src/errors.js';
import { CompletionTimes } from '../../../src/providers/polling/completion-times.js';
import { isoDuration, pollUntil, type PollLoopOptions } from '../../../src/providers/polling/poll-loop.js';
import { createRuntime, type Runtime } from '../../../src/runtime.js';
import { stopEventLoop } from '../../helpers/stopped.js';

/** A runtime whose clock only moves when the loop sleeps. */
function virtual(): Runtime & { t: number } {
  const rt = createRuntime({ env: {} }) as Runtime & { t: number };
  rt.t = 0;
  return Object.assign(rt, {
    now: () => rt.t,
    monotonic: () => rt.t,
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw signal.reason;
      rt.t += ms;
    },
  });
}

/** The process stopped for `ms` (the event loop blocked: every timer due meanwhile runs late), then `then`. */
function asleep(ms: number, then: () => void): void {
  stopEventLoop(ms);
  then();
}

/** A read's `ms` of latency, ended by `signal` as an HTTP call would be. */
function abortable(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    });
  });
}

const schedule = { policy: { firstDelayMs: 500, factor: 1.3, maxDelayMs: 5000 }, minStepMs: 5, maxGapMs: 650 };

function loop(
  rt: Runtime,
  doneAt: number,
  extra: Partial<PollLoopOptions<string>> = {},
): { reads: number[]; run: Promise<string> } {
  const reads: number[] = [];
  const run = pollUntil<string>({
    rt,
    schedule,
    deadlineMs: 60_000,
    read: async () => {
      reads.push(rt.now());
      return rt.now() >= doneAt ? { done: 'out', tookMs: doneAt } : { state: { phase: 'running' } };
    },
    onDeadline: async () => {
      throw new Error('deadline');
    },
    ...extra,
  });
  return { reads, run };
}

describe('pollUntil', () => {
  it('reads on the backoff, reports each state once, and learns the service duration', async () => {
    const rt = virtual();
    const learned = new CompletionTimes();
    const states: string[] = [];
    const { reads, run } = loop(rt, 2000, { learned, onState: (s) => states.push(s.phase) });
    await expect(run).resolves.toBe('out');
    expect(reads).toEqual([500, 1150, 1995, 3094]);
    expect(states).toEqual(['running']);
    expect(learned.snapshot()).toEqual([2000]);
  });

  it('once times are learned, nothing is read before the spread (less one sample spacing)', async () => {
    const rt = virtual();
    const learned = new CompletionTimes([20_000, 21_000, 22_000]);
    const { reads, run } = loop(rt, 21_500, { learned });
    await run;
    expect(reads[0]).toBeGreaterThanOrEqual(19_000);
    expect(reads.length).toBeLessThanOrEqual(6); // the backoff would have read ~10 times by then
  });

  it('without a service duration, learns from the bracket of its last two reads', async () => {
    const rt = virtual();
    const learned = new CompletionTimes();
    const run = pollUntil<string>({
      rt,
      schedule,
      learned,
      deadlineMs: 60_000,
      read: async () => (rt.now() >= 1000 ? { done: 'x' } : {}),
      onDeadline: async () => {
        throw new Error('deadline');
      },
    });
    await run;
    expect(learned.snapshot()).toEqual([(500 + 1150) / 2]);
  });

  it('holds the first read until firstPollAfter settles, and fails with its error', async () => {
    const rt = virtual();
    const failed = Promise.reject(new Error('journal write failed'));
    const { reads, run } = loop(rt, 0, { firstPollAfter: failed });
    await expect(run).rejects.toThrow('journal write failed');
    expect(reads).toEqual([]);
  });

  it('deadlineUsedMs: a wait for a request earlier waits spent part of the deadline on has only the rest', async () => {
    const rt = virtual();
    rt.t = 5_000;
    const { reads, run } = loop(rt, Infinity, { deadlineMs: 6_000, deadlineUsedMs: 5_000 });
    await expect(run).rejects.toThrow('deadline');
    expect(reads.length).toBeGreaterThan(0);
    expect(Math.max(...reads)).toBeLessThanOrEqual(6_000);
    const spent = loop(rt, Infinity, { deadlineMs: 6_000, deadlineUsedMs: 6_000 });
    await expect(spent.run).rejects.toThrow('deadline');
    expect(spent.reads).toEqual([rt.t]); // the one last read before the deadline stands
  });

  it('the deadline ends the wait through onDeadline (the client cancels there)', async () => {
    const rt = virtual();
    const { run } = loop(rt, Infinity, { deadlineMs: 10_000 });
    await expect(run).rejects.toThrow('deadline');
    expect(rt.t).toBe(10_000);
  });

  it('onDeadline runs once when the loop sees the deadline as the timer fires (one cancel, not two)', async () => {
    // The clock says the deadline passed after the first read; onDeadline (the client's cancel)
    // is still running when the real timer aborts the reads. Before, both called onDeadline.
    const rt = virtual();
    let calls = 0;
    const { run } = loop(rt, Infinity, {
      deadlineMs: 20,
      read: async () => {
        rt.t += 1_000;
        return { state: { phase: 'queued' } };
      },
      onDeadline: async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 60));
        throw new Error('deadline');
      },
    });
    await expect(run).rejects.toThrow('deadline');
    expect(calls).toBe(1);
  });

  it('a request that finished while the process was stopped past the deadline is returned, not cancelled', async () => {
    // walk-ac 2: the deadline's timer, run at once on waking, abandoned the read under way and
    // cancelled a request finished long before. The event loop blocked stands in for the stop.
    const rt = createRuntime({ env: {} });
    let finished = false;
    let reads = 0;
    let deadlines = 0;
    const run = pollUntil<string>({
      rt,
      schedule: { policy: { firstDelayMs: 20, factor: 1, maxDelayMs: 20 }, minStepMs: 5, maxGapMs: 650 },
      deadlineMs: 150,
      read: async (_aimed, signal) => {
        await abortable(5, signal); // a read takes a while: the deadline's timer runs meanwhile
        // Stopped during the pause after the first read; the request finishes meanwhile.
        if (++reads === 1) setTimeout(() => asleep(400, () => (finished = true)), 1);
        return finished ? { done: 'out' } : { state: { phase: 'running' } };
      },
      onDeadline: async () => {
        deadlines++;
        throw new Error('deadline');
      },
    });
    await expect(run).resolves.toBe('out');
    expect(deadlines).toBe(0);
  });

  it('the deadline seen by the loop itself gets the last read too; not done, the deadline stands', async () => {
    const rt = virtual();
    const learned = new CompletionTimes();
    const asleepAfter = loop(rt, 50_000, {
      learned,
      read: async () => {
        const got = rt.t >= 50_000 ? { done: 'out', tookMs: 50_000 } : { state: { phase: 'running' as const } };
        if (rt.t < 1_000) rt.t += 60_000; // the clock jumps after the reply: asleep past the deadline
        return got;
      },
    });
    await expect(asleepAfter.run).resolves.toBe('out');
    expect(learned.snapshot()).toEqual([50_000]);
    const stuck = loop(virtual(), Infinity, { deadlineMs: 1_000 });
    await expect(stuck.run).rejects.toThrow('deadline');
    expect(stuck.reads.at(-1)).toBe(1_000);
  });

  it("an error of the last read is thrown as any read's (the request failed remotely meanwhile)", async () => {
    const failed = loop(virtual(), Infinity, {
      deadlineMs: 0,
      read: async () => {
        throw new Error('failed remotely');
      },
    });
    await expect(failed.run).rejects.toThrow('failed remotely');
  });

  it('an abort surfaces as the reason of the signal (the run interruption)', async () => {
    const rt = virtual();
    const ac = new AbortController();
    const why = new InterruptedError();
    ac.abort(why);
    const { reads, run } = loop(rt, 1000, { signal: ac.signal });
    await expect(run).rejects.toBe(why);
    expect(reads).toEqual([]);
  });

  it('isoDuration reads ordered ISO times only', () => {
    expect(isoDuration('2026-01-01T00:00:00Z', '2026-01-01T00:00:01.5Z')).toBe(1500);
    expect(isoDuration('2026-01-01T00:00:01Z', '2026-01-01T00:00:00Z')).toBeNull();
    expect(isoDuration(undefined, 'x')).toBeNull();
  });
});
