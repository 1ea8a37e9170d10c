/**
 * Queue positions at submit: one more than the requests still queued (stuck ones included),
 * whatever left the queue before.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { JobStore, type JobSpec } from '../../../src/emulator/jobs.js';
import { createTimerSet } from '../../../src/emulator/timers.js';

const timers = createTimerSet();
afterEach(() => timers.clearAll());

const spec = (over: Partial<JobSpec> = {}): JobSpec => ({
  modelId: 'm',
  prompt: 'p',
  imageUrl: 'data:,x',
  seed: 1,
  queueMs: 60_000,
  runMs: 0,
  stuck: false,
  failure: { code: 'test' },
  ...over,
});
const store = (): JobStore =>
  new JobStore(
    timers,
    () => '2025-01-01T00:00:00.000Z',
    () => Promise.reject(new Error('no input in this test')),
  );

describe('JobStore queue positions', () => {
  it('counts queued and stuck requests, not cancelled or started ones', async () => {
    const jobs = store();
    const a = jobs.create(spec());
    expect(jobs.create(spec({ stuck: true })).initialPosition).toBe(2);
    const c = jobs.create(spec());
    expect([a.initialPosition, c.initialPosition]).toEqual([1, 3]);
    expect(jobs.cancel(a)).toBe('cancelled');
    expect(jobs.cancel(a)).toBe('cancelled'); // twice: still one fewer
    expect(jobs.create(spec()).initialPosition).toBe(3);
    const quick = jobs.create(spec({ queueMs: 0 }));
    expect(quick.initialPosition).toBe(4);
    await new Promise((r) => setTimeout(r, 20));
    expect(quick.phase).not.toBe('in_queue');
    expect(jobs.cancel(quick)).toBe('not_cancellable');
    expect(jobs.create(spec()).initialPosition).toBe(4);
  });
});
