/**
 * The blind part of polling, as a pure function: with nothing learned yet about how long a
 * provider's jobs take, short first polls catch quick jobs early and the interval then grows to
 * a cap, so long jobs cost few requests. Once completion times are known, schedule.ts aims the
 * reads instead (docs/architecture.md#polling).
 */

export interface PollPolicy {
  /** Wait before the first read. */
  readonly firstDelayMs: number;
  /** Growth of the interval per read. */
  readonly factor: number;
  /** Largest interval. */
  readonly maxDelayMs: number;
  /**
   * Once finishing times are learned, the largest gap between reads inside their spread (see
   * schedule.ts; default 650 ms). Sub-second jobs on loopback (the emulator) want far less.
   */
  readonly maxGapMs?: number | undefined;
}

/** Wait before read number `attempt` (0 = the first). */
export function nextPollDelay(attempt: number, policy: PollPolicy): number {
  const n = Math.max(0, Math.floor(attempt));
  const grown = policy.firstDelayMs * policy.factor ** Math.min(n, 64);
  return Math.round(Math.min(policy.maxDelayMs, Math.max(0, grown)));
}

/** `overrides` over `base`, with values forced into sane ranges. */
export function resolvePollPolicy(base: PollPolicy, overrides: Partial<PollPolicy> = {}): PollPolicy {
  const p = { ...base, ...overrides };
  return {
    firstDelayMs: Math.max(0, p.firstDelayMs),
    factor: Math.max(1, p.factor),
    maxDelayMs: Math.max(0, p.maxDelayMs),
    ...(p.maxGapMs === undefined ? {} : { maxGapMs: Math.max(1, p.maxGapMs) }),
  };
}
