/**
 * Retry timing as pure functions (so they are table-tested without a clock): capped exponential
 * backoff with full jitter, and `Retry-After` parsing (seconds or HTTP date), bounded.
 */

export interface RetryPolicy {
  /** Attempts in total, the first included (1 = never retry). */
  readonly maxAttempts: number;
  /** Backoff base: the jitter window before retry k is `min(capMs, baseMs * 2^(k-1))`. */
  readonly baseMs: number;
  /** Largest jitter window. */
  readonly capMs: number;
  /** Largest wait a server's `Retry-After` may impose; longer asks are clamped to this. */
  readonly maxRetryAfterMs: number;
}

/** About 15 s of expected backoff over 5 retries; enough to ride out a short 429/5xx burst. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 6,
  baseMs: 1_000,
  capMs: 30_000,
  maxRetryAfterMs: 60_000,
};

/**
 * Delay before retry number `retry` (1 = the first retry). Full jitter (`random` in [0, 1))
 * spreads clients that failed together; a server's `Retry-After` wins, clamped to the policy's
 * bound, because the server knows when it will have room.
 */
export function retryDelay(retry: number, policy: RetryPolicy, random: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) {
    return Math.min(Math.round(retryAfterMs), policy.maxRetryAfterMs);
  }
  const exp = Math.max(0, retry - 1);
  const window = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(exp, 52));
  const r = Math.min(Math.max(random, 0), 1);
  return Math.floor(r * window);
}

/**
 * `Retry-After` in ms: a non-negative number of seconds, or an HTTP date (relative to `nowMs`,
 * never negative). `undefined` when absent or unreadable.
 */
export function parseRetryAfter(value: string | readonly string[] | undefined, nowMs: number): number | undefined {
  const raw = (Array.isArray(value) ? value[0] : value) as string | undefined;
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (/^-/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** A policy with overrides applied and values forced into sane ranges. */
export function resolveRetryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const p = { ...DEFAULT_RETRY_POLICY, ...overrides };
  return {
    maxAttempts: Math.max(1, Math.floor(p.maxAttempts)),
    baseMs: Math.max(0, p.baseMs),
    capMs: Math.max(0, p.capMs),
    maxRetryAfterMs: Math.max(0, p.maxRetryAfterMs),
  };
}
