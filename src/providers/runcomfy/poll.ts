/**
 * Poll timing as a pure function. Short first polls catch quick jobs early; the interval then
 * grows to a cap so long jobs cost few status requests (bench/poll.bench.mjs compares this with
 * the official CLI's fixed 2 s).
 */

export interface PollPolicy {
  /** Wait before the first status request. */
  readonly firstDelayMs: number;
  /** Growth of the interval per poll. */
  readonly factor: number;
  /** Largest interval. */
  readonly maxDelayMs: number;
}

/**
 * 0.5 s, then ×1.3 up to 5 s: on the virtual-clock bench this detects 1 s jobs ~3× sooner than
 * a fixed 2 s poll, stays near it for 10 s jobs (typical for Kontext), and needs ~40 % fewer
 * status requests for 60 s jobs.
 */
export const DEFAULT_POLL_POLICY: PollPolicy = { firstDelayMs: 500, factor: 1.3, maxDelayMs: 5_000 };

/**
 * The built-in emulator's jobs take a fraction of a second and it sits on loopback: poll it
 * soon and often (a 0.15–0.2 s job is seen within ~25 ms; once a few have finished, learned
 * completion times aim the reads, completion-times.ts).
 */
export const EMULATOR_POLL_POLICY: PollPolicy = { firstDelayMs: 20, factor: 1.15, maxDelayMs: 250 };

/** Default overall deadline of one request: 30 minutes. */
export const DEFAULT_DEADLINE_MS = 30 * 60 * 1000;

/** Wait before status request number `attempt` (0 = the first). */
export function nextPollDelay(attempt: number, policy: PollPolicy): number {
  const n = Math.max(0, Math.floor(attempt));
  const grown = policy.firstDelayMs * policy.factor ** Math.min(n, 64);
  return Math.round(Math.min(policy.maxDelayMs, Math.max(0, grown)));
}

/** A policy with overrides applied and values forced into sane ranges. */
export function resolvePollPolicy(overrides: Partial<PollPolicy> = {}): PollPolicy {
  const p = { ...DEFAULT_POLL_POLICY, ...overrides };
  return {
    firstDelayMs: Math.max(0, p.firstDelayMs),
    factor: Math.max(1, p.factor),
    maxDelayMs: Math.max(0, p.maxDelayMs),
  };
}
