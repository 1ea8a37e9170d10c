/**
 * Time limits of a download. Without them a server that drips one byte every 20 s (always
 * inside the dispatcher's body timeout) keeps a download, and its run, alive for ever.
 *
 * - `deadlineMs`: the whole download, every attempt and retry pause included (default 30 min:
 *   a 2 GiB output, the size cap, at 1.2 MB/s). Past it the download fails (exit 75), not retried.
 *   Both limits count only the time the process ran: one stopped or asleep meanwhile (a laptop
 *   lid closed, Ctrl-Z) is not failed for it on waking ({@link awakeTimeout}).
 * - `minBytes` per `windowMs`: once the reply's headers are in, every window of `windowMs`
 *   (default 30 s) must bring at least `minBytes` (default 64 KiB, about 2 KiB/s) or the attempt
 *   is abandoned and retried on a new connection (exit 75 when the retries run out).
 *
 * Overridable per client (`RunComfyOptions.downloadLimits`) and through the environment
 * (`KONTEXT_DOWNLOAD_DEADLINE_MS`, `KONTEXT_DOWNLOAD_MIN_BYTES`, `KONTEXT_DOWNLOAD_WINDOW_MS`),
 * so tests can use small deadlines instead of waiting.
 */

import { AwakeClock } from '../../util/awake-clock.js';

export interface DownloadLimits {
  readonly deadlineMs: number;
  readonly minBytes: number;
  readonly windowMs: number;
}

export const DEFAULT_DOWNLOAD_LIMITS: DownloadLimits = {
  deadlineMs: 30 * 60 * 1000,
  minBytes: 64 * 1024,
  windowMs: 30_000,
};

const ENV: Readonly<Record<keyof DownloadLimits, string>> = {
  deadlineMs: 'KONTEXT_DOWNLOAD_DEADLINE_MS',
  minBytes: 'KONTEXT_DOWNLOAD_MIN_BYTES',
  windowMs: 'KONTEXT_DOWNLOAD_WINDOW_MS',
};

/** The longest delay a Node timer keeps (2^31 − 1 ms); a longer one fires after 1 ms, with a warning. */
const MAX_TIMER_MS = 2_147_483_647;

function positiveInt(v: string | number | undefined, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (typeof v === 'string' && v.trim() === '') return undefined;
  const n = typeof v === 'string' ? Number(v) : v;
  return n !== undefined && Number.isSafeInteger(n) && n > 0 && n <= max ? n : undefined;
}

/**
 * Options win over the environment, which wins over the defaults; invalid values are ignored, a
 * delay past a timer's 2^31 − 1 ms too (Node runs it after 1 ms: a deadline that long failed a download at once).
 */
export function resolveDownloadLimits(
  env: Readonly<Record<string, string | undefined>>,
  overrides: Partial<DownloadLimits> = {},
): DownloadLimits {
  const pick = (k: keyof DownloadLimits): number => {
    const max = k === 'minBytes' ? undefined : MAX_TIMER_MS;
    return positiveInt(overrides[k], max) ?? positiveInt(env[ENV[k]], max) ?? DEFAULT_DOWNLOAD_LIMITS[k];
  };
  return { deadlineMs: pick('deadlineMs'), minBytes: pick('minBytes'), windowMs: pick('windowMs') };
}

/**
 * Watch an attempt's byte count: call `onStall` when a window of `windowMs` (of the time this
 * process ran: {@link awakeTimeout}) brought fewer than `minBytes`. Returns the stop function
 * (call it when the attempt ends, however it ends).
 */
export function watchThroughput(
  limits: DownloadLimits,
  bytes: () => number,
  onStall: (got: number) => void,
): () => void {
  let last = bytes();
  let stop = (): void => undefined;
  const window = (): void => {
    stop = awakeTimeout(limits.windowMs, () => {
      const now = bytes();
      if (now - last < limits.minBytes) {
        onStall(now - last);
        return;
      }
      last = now;
      window();
    });
  };
  window();
  return () => stop();
}

/** The longest step of an {@link awakeTimeout}'s count. */
const AWAKE_TICK_MS = 1_000;

/**
 * Call `fire` once this process has run for `ms`; returns the cancel function. A process
 * stopped (Ctrl-Z, SIGSTOP) or asleep runs its overdue timers at once when it wakes: a deadline
 * of a download set as one timer failed one that was nearly done, after a stop longer than the
 * deadline, and a throughput window spanning the stop saw no bytes (the bytes that came meanwhile
 * are read after the timers). So the time is looked at in steps of at most a second (an eighth of
 * `ms` when shorter) on an {@link AwakeClock}, which counts a stop as one step however long it was
 * (a loaded event loop's lag may stretch the limit a little, never shorten it).
 */
export function awakeTimeout(ms: number, fire: () => void): () => void {
  const step = Math.max(1, Math.min(AWAKE_TICK_MS, ms / 8));
  const clock = new AwakeClock(step);
  let timer: NodeJS.Timeout | undefined;
  const look = (): void => {
    const left = ms - clock.elapsed();
    if (left <= 0) return fire();
    timer = setTimeout(look, Math.max(1, Math.min(step, left)));
    timer.unref();
  };
  timer = setTimeout(look, Math.max(1, Math.min(step, ms)));
  timer.unref();
  return () => clearTimeout(timer);
}
