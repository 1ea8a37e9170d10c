/**
 * RunComfy's poll policies: the blind backoff used until completion times are learned
 * (src/providers/polling/), and the overall deadline. bench/poll.bench.mjs compares the whole
 * schedule with the official CLI's fixed 2 s.
 */
import { type PollPolicy, resolvePollPolicy as resolveWith } from '../polling/backoff.js';

/** 0.5 s, then ×1.3 up to 5 s: only the first requests of a client with no history use it. */
export const DEFAULT_POLL_POLICY: PollPolicy = { firstDelayMs: 500, factor: 1.3, maxDelayMs: 5_000 };

/**
 * The built-in emulator's jobs take a fraction of a second and it sits on loopback: poll it
 * soon and often (a 0.15–0.2 s job is seen within ~25 ms; once a few have finished, learned
 * completion times aim the reads, at most 20 ms apart: a tenth of a job, where a busy loopback's
 * jitter is as wide as the job itself).
 */
export const EMULATOR_POLL_POLICY: PollPolicy = { firstDelayMs: 20, factor: 1.15, maxDelayMs: 250, maxGapMs: 20 };

/** Default overall deadline of one request: 30 minutes. */
export const DEFAULT_DEADLINE_MS = 30 * 60 * 1000;

/** The default policy with overrides applied and values forced into sane ranges. */
export function resolvePollPolicy(overrides: Partial<PollPolicy> = {}): PollPolicy {
  return resolveWith(DEFAULT_POLL_POLICY, overrides);
}
