/**
 * The one runtime object: clock, randomness, environment, file root, output streams and the
 * process identity (pid, liveness) the lock file's inter-process lock needs.
 * Library code takes it as a parameter instead of reaching for `process`, `Date.now` or
 * `Math.random`, so tests are deterministic and never touch the real world by accident.
 */
import { randomInt } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';

/** A place to write text; `process.stdout` fits, and so does a test buffer. */
export interface TextSink {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
  /** A terminal's size, read when it is used (a terminal resized meanwhile has new ones). */
  readonly columns?: number;
  readonly rows?: number;
}

export interface Runtime {
  /** Working directory: relative CLI paths and the fallback project root resolve against it. */
  readonly cwd: string;
  /** Environment variables (read-only snapshot). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Milliseconds since the epoch: for the times written down (journal, records, the lock). */
  now(): number;
  /**
   * Whole milliseconds, as `now`'s, on a clock that only goes forward (`performance.now()`; its
   * origin means nothing): deadlines, poll schedules, durations and events' `t`. A step of the wall
   * clock (an NTP step, the date set by hand) moves `now` and leaves these alone (walk-ae 4, 8).
   */
  monotonic(): number;
  /** A fresh seed in 0..4294967295. */
  randomSeed(): number;
  /** Uniform in [0, 1): retry jitter and the like. */
  random(): number;
  /** Wait `ms`; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** This process's id: recorded as the owner of the lock file's inter-process lock. */
  readonly pid: number;
  /** Whether a process is alive on this machine: a lock held by a dead one is stale. */
  isAlive(pid: number): boolean;
  /**
   * Test hook: told when a run or gc passes a named point (`after-intent`, ...: cli/test-hooks.ts). Only
   * the CLI sets it (to kill or pause its own process there, for crash and race tests); library code
   * just calls it.
   */
  readonly crashPoint?: ((point: string) => void) | undefined;
}

const SEED_LIMIT = 2 ** 32;

/** The real runtime, with any part overridden (tests pass a fake clock or a seeded random). */
export function createRuntime(overrides: Partial<Runtime> = {}): Runtime {
  return {
    cwd: overrides.cwd ?? process.cwd(),
    env: overrides.env ?? { ...process.env },
    now: overrides.now ?? (() => Date.now()),
    monotonic: overrides.monotonic ?? (() => Math.floor(performance.now())),
    randomSeed: overrides.randomSeed ?? (() => randomInt(0, SEED_LIMIT)),
    random: overrides.random ?? Math.random,
    sleep: overrides.sleep ?? sleep,
    stdout: overrides.stdout ?? process.stdout,
    stderr: overrides.stderr ?? process.stderr,
    pid: overrides.pid ?? process.pid,
    isAlive: overrides.isAlive ?? isAlive,
    crashPoint: overrides.crashPoint,
  };
}

/** `process.kill(pid, 0)` probes without signalling; EPERM means alive but someone else's. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Wait `ms`; on abort, reject with the signal's own reason (as documented on Runtime). */
async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : undefined);
  } catch (e) {
    throw signal?.aborted ? (signal.reason as unknown) : e;
  }
}

/** A small deterministic PRNG (mulberry32) for tests, benchmarks and the emulator's fault dice. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
