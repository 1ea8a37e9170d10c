/**
 * What a run needs: its options (from flags) and its collaborators (injected, so the
 * scheduler is testable against the emulator with a fake clock and real temp dirs).
 */
import type { Hosting } from '../hosting/index.js';
import type { PlanNode } from '../plan/types.js';
import type { Provider } from '../providers/types.js';
import type { Runtime } from '../runtime.js';
import type { Store } from '../store/types.js';
import type { WriteGuard } from '../store/write-guard.js';
import type { CostLimitSource } from './cost-limit.js';
import type { RunEvent } from './events.js';
import type { Executed } from './execute.js';
import type { LockWriter } from './lock-writer.js';
import type { ShardSpec } from './shard.js';
import type { SpendLedger } from './spend.js';

/**
 * A selection flag: `'all'`, a list of node patterns (`pass`, `pass@inst-*`, `pass#2`; see
 * selection.ts), or absent. Once prepared (prepare.ts), the run layer sees node ids.
 */
export type PassSelection = readonly string[] | 'all' | undefined;

export interface RunOptions {
  /** Concurrent remote requests (default 4). */
  readonly jobs: number;
  /** Compute states and the billable count; submit nothing. */
  readonly dryRun?: boolean | undefined;
  /** Run only the nodes these patterns match, plus what they need (taken from the cache when up to date). */
  readonly only?: readonly string[] | undefined;
  /** Ignore the cache for the nodes these patterns match (`'all'`: the `--only` targets, else every node). */
  readonly force?: PassSelection;
  /** Draw new seeds for the nodes these patterns match (`'all'` as for `force`). */
  readonly reseed?: PassSelection;
  /** Replace outputs and `save:` copies changed by hand (or not written by kontext); default: refuse */
  readonly overwrite?: boolean | undefined;
  /** After a failure, keep running everything not downstream of it. */
  readonly keepGoing?: boolean | undefined;
  /**
   * Abort before submitting when billable requests × price exceed this; while running, a submit
   * the plan did not count (a retry, a re-attach given up) is not sent past it (cost-budget.ts).
   */
  readonly maxCostUsd?: number | undefined;
  /** How messages name the limit and say how to change it (default: `--max-cost`; run/cost-limit.ts). */
  readonly maxCostFrom?: CostLimitSource | undefined;
  /** What the recipes before this one spent under the same `maxCostUsd` (`null`: unknown). */
  readonly maxCostSpentUsd?: number | null | undefined;
  /** Aborting it behaves like Ctrl-C: stop submitting, cancel queued requests, flush, exit 130. */
  readonly signal?: AbortSignal | undefined;
  /** Per-request overall deadline passed to the provider. */
  readonly deadlineMs?: number | undefined;
  /** How long a submit already on the wire at Ctrl-C may finish (default 5 s); tests shorten it. */
  readonly submitGraceMs?: number | undefined;
  /**
   * Pauses before reading again a request that finished without an output URL (default 2, 5,
   * 10 s: remote-outcome.ts); tests shorten them.
   */
  readonly outputRereadMs?: readonly number[] | undefined;
  /**
   * Submit again the nodes an earlier run may already have paid for (it ended between writing
   * its intent and journaling the request id); they reuse that intent's seed. Default: such
   * nodes fail (exit 75) and are listed in the summary.
   */
  readonly resubmitUncertain?: boolean | undefined;
  /** `--shard i/n`: run only this share of the source instances (shard.ts). */
  readonly shard?: ShardSpec | undefined;
  /** `--frozen`: fail (exit 65) instead of submitting anything the lock and caches cannot satisfy (frozen.ts). */
  readonly frozen?: boolean | undefined;
}

export interface RunDeps {
  readonly rt: Runtime;
  /** The provider of nodes on `providerName` (every node, when `providerFor` is absent). */
  readonly provider: Provider;
  /** The run's provider: recorded in keys, records and the lock of nodes that name no other. */
  readonly providerName: string;
  /** The provider of a node whose pass names another (per-pass `provider:`); opened on first use. */
  readonly providerFor?: ((name: string) => Provider) | undefined;
  readonly store: Store;
  /** How local files and stale outputs reach the API; `null` when none is configured. */
  readonly hosting: Hosting | null;
  /** What outputs and `save:` copies may not overwrite; default: only `.git` and lock files. */
  readonly writeGuard?: WriteGuard | undefined;
  /** `<recipe-stem>.lock.json` beside the recipe; `null` for one-off edits (no lock). */
  readonly lockPath: string | null;
  /**
   * A one-off edit: how a node's paid result that could not be written is got without paying again
   * (its file name or its seed); it replaces the hint's "the next run writes it" (output-errors.ts).
   */
  readonly paidHint?: ((node: PlanNode, seed: number | null) => string) | undefined;
  readonly onEvent: (event: RunEvent) => void;
  /** Runs that overlap in time (watch cycles) coordinate through this; a lone run has none. */
  readonly coordination?: RunCoordination | undefined;
  /**
   * Aborted (its reason an `InterruptedError`): submit nothing more, as a failure's stop does; the
   * requests on the wire finish and are recorded. A `--shard` run's, once its remote cache can take
   * none of its results (shard.ts's `ShardRemoteStop`). Its skipped nodes say `remote-unusable`.
   */
  readonly submitStop?: AbortSignal | undefined;
}

/**
 * What a run shares with the runs it overlaps (watch mode's cycles; src/watch provides it).
 * A later run supersedes an earlier one: it stops it softly, waits for the writes it had begun,
 * flushes its lock writer, and then awaits (rather than resubmits) the requests it still wants.
 */
export interface RunCoordination {
  /**
   * Aborting it stops this run softly: nothing new starts, in-flight requests go on (the next
   * run may still want them) but no longer write outputs or the lock.
   */
  readonly stop: AbortSignal;
  /** Requests in flight by cache key, across runs. */
  readonly inflight: InflightRequests;
  /** The run's lock writer, kept by the coordinator so the next run can flush it. */
  readonly lockWriter: LockWriter;
  /** Output and lock writes run as sections the next run can wait for. */
  readonly writes: WriteSections;
  /** The requests every run of the session submitted: each summary's session total (watch mode). */
  readonly spend?: SpendLedger | undefined;
  /**
   * Awaited by each node once it has its `-j` slot, before its request goes to the API (then the
   * run's stop is looked at): held for a moment after the process was frozen (watch/resume-hold.ts).
   */
  readonly submitGate?: (() => Promise<void> | undefined) | undefined;
}

/** Requests in flight by cache key: a run that wants a key already in flight awaits it. */
export interface InflightRequests {
  get(key: string): { readonly promise: Promise<Executed> } | undefined;
  /** Track `promise` under `key` until it settles; `abandon` cancels it if it is still queued. */
  track(key: string, promise: Promise<Executed>, abandon: () => void): void;
}

/** Runs write sections; each must check its run's stop signal synchronously, first. */
export interface WriteSections {
  run<T>(section: () => Promise<T>): Promise<T>;
}

/** True when the node `id` is selected by a resolved selection (node ids, see selection.ts). */
export function selects(selection: PassSelection, id: string): boolean {
  if (selection === undefined) return false;
  return selection === 'all' || selection.includes(id);
}
