/**
 * `KONTEXT_TEST_FAST_POLL=1`, set by the test suite for the CLI processes it starts (ignored unless
 * exactly `1`): a provider whose API is on loopback (a test's emulator: a loopback IP or exactly
 * `localhost`, not a name a resolver may send elsewhere) or under `.invalid` (a test's proxy's
 * made-up host, api-base.ts's `apiIsTestOnly`) is polled as the built-in
 * emulator is (`EMULATOR_POLL_POLICY`: the first read after 20 ms), not with a real API's blind
 * 0.5 s first read, which every node of the suite's 20 ms jobs would otherwise wait out. An API
 * anywhere else is polled at its own pace whatever is set, so the knob cannot make kontext read a
 * real service faster; a poll policy the caller passes wins. The pauses before a request is read
 * again after a stray 404 or without an output URL shrink the same way ({@link testRereadMs}), and
 * so do the jittered waits between retries of a failed call ({@link testRetryPolicy}); a server's
 * `Retry-After` is still waited out as asked.
 */
import type { Runtime } from '../runtime.js';
import { apiIsTestOnly } from './api-base.js';
import { EMULATOR_POLL_POLICY } from './runcomfy/poll.js';
import type { PollPolicy } from './polling/backoff.js';
import type { RetryPolicy } from './runcomfy/retry.js';

/**
 * Pauses before a request of a loopback API is read again (a stray 404, a result without an output
 * URL) under the knob: 2, 5 and 10 s otherwise (run/remote-outcome.ts), 17 s of a test's run.
 */
const TEST_REREAD_MS: readonly number[] = [20, 50, 100];

/** The rereads' pauses the knob asks for `name`, or `undefined` (the run's own). */
export function testRereadMs(name: string, rt: Runtime): readonly number[] | undefined {
  if (rt.env['KONTEXT_TEST_FAST_POLL'] !== '1' || !apiIsTestOnly(name, rt)) return undefined;
  return TEST_REREAD_MS;
}

/** The poll policy the knob asks for `name`, or `undefined` (the client's own). */
export function testPollPolicy(name: string, rt: Runtime): PollPolicy | undefined {
  if (rt.env['KONTEXT_TEST_FAST_POLL'] !== '1' || !apiIsTestOnly(name, rt)) return undefined;
  return EMULATOR_POLL_POLICY;
}

/**
 * The retry backoff the knob asks for `name` (a jitter window of 20 ms doubling to 200 ms, not
 * 1 s to 30 s: ~15 s of a test's run per failed call ridden out), or `undefined` (the client's own).
 * The number of attempts and the `Retry-After` bound stay the client's.
 */
export function testRetryPolicy(name: string, rt: Runtime): Partial<RetryPolicy> | undefined {
  if (rt.env['KONTEXT_TEST_FAST_POLL'] !== '1' || !apiIsTestOnly(name, rt)) return undefined;
  return { baseMs: 20, capMs: 200 };
}
