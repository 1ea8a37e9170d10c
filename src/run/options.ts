/**
 * What a run needs: its options (from flags) and its collaborators (injected, so the
 * scheduler is testable against the emulator with a fake clock and real temp dirs).
 */
import type { Hosting } from '../hosting/index.js';
import type { Provider } from '../providers/types.js';
import type { Runtime } from '../runtime.js';
import type { Store } from '../store/types.js';
import type { RunEvent } from './events.js';
import type { InflightRegistry } from './inflight.js';
import type { LockWriter } from './lock-writer.js';
import type { WriteGate } from './write-gate.js';

/** A pass selection flag: `'all'`, a list of pass ids, or absent. */
export type PassSelection = readonly string[] | 'all' | undefined;

export interface RunOptions {
  /** Concurrent remote requests (default 4). */
  readonly jobs: number;
  /** Compute states and the billable count; submit nothing. */
  readonly dryRun?: boolean | undefined;
  /** Run only these passes, plus the passes they need. */
  readonly only?: readonly string[] | undefined;
  /** Ignore the cache for these passes. */
  readonly force?: PassSelection;
  /** Draw new seeds for these passes. */
  readonly reseed?: PassSelection;
  /** After a failure, keep running everything not downstream of it. */
  readonly keepGoing?: boolean | undefined;
  /** Abort before submitting when billable requests × price exceed this. */
  readonly maxCostUsd?: number | undefined;
  /** Aborting it behaves like Ctrl-C: stop submitting, cancel queued requests, flush, exit 130. */
  readonly signal?: AbortSignal | undefined;
  /** Per-request overall deadline passed to the provider. */
  readonly deadlineMs?: number | undefined;
  /**
   * Watch mode: aborting it stops this run softly — nothing new starts, in-flight requests
   * go on (the next cycle may still want them) but no longer write outputs or the lock.
   */
  readonly stopSignal?: AbortSignal | undefined;
  /**
   * Submit again the nodes an earlier run may already have paid for (it ended between writing
   * its intent and journaling the request id); they reuse that intent's seed. Default: such
   * nodes fail (exit 75) and are listed in the summary.
   */
  readonly resubmitUncertain?: boolean | undefined;
}

export interface RunDeps {
  readonly rt: Runtime;
  readonly provider: Provider;
  /** Recorded in keys, records and the lock (`runcomfy` | `emulator`). */
  readonly providerName: string;
  readonly store: Store;
  /** How local files and stale outputs reach the API; `null` when none is configured. */
  readonly hosting: Hosting | null;
  /** `<recipe-stem>.lock.json` beside the recipe; `null` for one-off edits (no lock). */
  readonly lockPath: string | null;
  /** Shared across watch cycles so a request still wanted is awaited, not submitted again. */
  readonly inflight?: InflightRegistry | undefined;
  /** Watch mode: the cycle's lock writer, kept by the session so the next cycle can flush it. */
  readonly lockWriter?: LockWriter | undefined;
  /** Watch mode: output and lock writes as sections the next cycle can wait for (see WriteGate). */
  readonly writes?: WriteGate | undefined;
  readonly onEvent: (event: RunEvent) => void;
  /** For the lock file's inter-process lock. */
  readonly pid: number;
  readonly isAlive: (pid: number) => boolean;
}

/** True when `pass` is selected by a `[pass...]` flag. */
export function selects(selection: PassSelection, pass: string): boolean {
  if (selection === undefined) return false;
  return selection === 'all' || selection.includes(pass);
}
