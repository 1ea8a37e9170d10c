/**
 * When a URL recorded earlier may still be handed to the provider. Pure functions: the caller
 * supplies the clock (`rt.now()`).
 */

const MINUTE_MS = 60_000;

/**
 * How long a provider's output URL is trusted for downstream passes. The service does not say
 * how long its output URLs live, so stay conservative: past this, the cached bytes are re-hosted.
 */
export const REMOTE_OUTPUT_TTL_MS = 10 * MINUTE_MS;

/** The least time a reused URL must still have: the provider may fetch it after queueing. */
const MIN_REUSE_MARGIN_MS = 5 * MINUTE_MS;

/**
 * How long after it was read a provider's output URL is handed to a downstream pass: its trusted
 * lifetime less the reuse margin (5 min), as for a hosted URL. Not the whole lifetime: BFL's
 * URLs live exactly 10 min, and one handed over at 9 min 15 s expired while the next request sat
 * in the queue: the API could not fetch its input, and that request was paid again (walk-ac 1).
 */
export const REMOTE_OUTPUT_REUSE_MS = REMOTE_OUTPUT_TTL_MS - Math.max(MIN_REUSE_MARGIN_MS, REMOTE_OUTPUT_TTL_MS / 10);

/**
 * Whether a remote URL recorded at `recordedAtMs` may still be used at `nowMs`. A clock that
 * went backwards makes the record untrustworthy, so it counts as stale.
 */
export function isRemoteUrlFresh(recordedAtMs: number, nowMs: number, ttlMs: number): boolean {
  return nowMs >= recordedAtMs && nowMs - recordedAtMs < ttlMs;
}

/** Safety margin before expiry for a URL that lived `lifetimeMs`: 10 % of it, at least 5 min. */
export function reuseMarginMs(lifetimeMs: number): number {
  return Math.max(MIN_REUSE_MARGIN_MS, Math.floor(lifetimeMs / 10));
}

/**
 * Whether a hosted URL (hosted at `hostedAtMs`, expiring at `expiresAtMs`, `null` = never) can
 * be reused at `nowMs` without re-hosting.
 */
export function isHostedUrlReusable(hostedAtMs: number, expiresAtMs: number | null, nowMs: number): boolean {
  if (expiresAtMs === null) return true;
  if (nowMs < hostedAtMs) return false;
  return nowMs < expiresAtMs - reuseMarginMs(expiresAtMs - hostedAtMs);
}
