/**
 * Before a run: select nodes (`--only`, `--force`, `--reseed` patterns: selection.ts), resolve
 * seeds, keys and states, count billable requests (`--max-cost` is checked in preflight.ts).
 * Nothing is submitted here.
 */
import type { Plan, PlanNode } from '../plan/types.js';
import type { JournalEntry, LockEntry, LockFile, Store } from '../store/types.js';
import type { RunOptions } from './options.js';
import { resolveStates, type NodeState, type ResolveDeps } from './resolve.js';
import { resolveSelections } from './selection.js';
import { shardNodes } from './shard.js';
import { billableStates, type Stop, stoppedNodes } from './node-provider.js';

export interface Prepared {
  readonly plan: Plan;
  /** Selected nodes, topological order. */
  readonly nodes: readonly PlanNode[];
  readonly states: ReadonlyMap<string, NodeState>;
  readonly lock: LockFile;
  /** Paid requests the run will (or may, if an upstream changes) make: one per distinct request (billableStates). */
  readonly billable: number;
  /**
   * Nodes the run stops before they submit: node id → the node that fails (itself, or the one
   * above it) and its error (an output kontext did not write, without `--overwrite`; a dead run's
   * intent, without `--resubmit-uncertain`). See stoppedNodes.
   */
  readonly stopped?: ReadonlyMap<string, Stop> | undefined;
  /** Nodes that will run: the billable ones and those that share their request (not the stopped ones). */
  readonly toRun?: number | undefined;
  /** The journal's entries as resolve read them (before this run submits anything); journal-settled.ts. */
  readonly journal?: readonly JournalEntry[] | undefined;
}

export async function prepareRun(
  plan: Plan,
  deps: {
    readonly store: Store;
    readonly providerName: string;
    readonly lock: LockFile;
    readonly draw: () => number;
    readonly sessionSeeds?: ReadonlyMap<string, number> | undefined;
    /** The lock file's folder: outputs the lock still vouches for are adopted into the cache. */
    readonly lockDir?: string | undefined;
    /** The lock file (resolve.ts `lockPath`). */
    readonly lockPath?: string | undefined;
    /** Entries of stray locks beside the lock (stray-locks.ts): more orphans a new node's seed may come from. */
    readonly strays?: (() => Promise<readonly LockEntry[]>) | undefined;
    /** A new node's seed is derived from the node (default; derived-seed.ts), or drawn (`false`: one-off edits). */
    readonly deriveSeeds?: boolean | undefined;
    /** This process (the runtime: pid, `isAlive`): is a journal entry's writer another live run (resolve.ts)? */
    readonly self: NonNullable<ResolveDeps['self']>;
  },
  options: Pick<RunOptions, 'only' | 'force' | 'reseed' | 'shard' | 'overwrite' | 'resubmitUncertain'>,
): Promise<Prepared> {
  const selection = resolveSelections(plan, options);
  // --shard keeps its share of the source instances of the whole plan (shard.ts), after --only.
  const nodes = options.shard ? shardNodes(plan.nodes, selection.nodes, options.shard) : selection.nodes;
  const selected: Plan = nodes === plan.nodes ? plan : { ...plan, nodes };
  // Resolve sees node ids: --force/--reseed act on the nodes they name, never on their upstream.
  const selections = { force: selection.force, reseed: selection.reseed };
  const planIds = new Set(plan.nodes.map((n) => n.id));
  const listing = deps.store.journal.list();
  const resolveDeps = {
    deriveSeeds: true,
    ...deps,
    planIds,
    planNodes: plan.nodes,
    journal: listing,
    resubmitUncertain: options.resubmitUncertain,
  };
  const states = await resolveStates(selected, resolveDeps, selections);
  const stopped = stoppedNodes(nodes, states, options.overwrite === true);
  const toRun = [...states.values()].filter((s) => s.status === 'run' && !stopped.has(s.node.id)).length;
  const billable = billableStates({ nodes, states, stopped }, deps.providerName).length;
  return { plan, nodes, states, lock: deps.lock, billable, toRun, stopped, journal: await listing };
}

/** The run-start event's counts: nodes to run, cached, and stopped before they pay (stoppedNodes). */
export function startCounts(prepared: Prepared): { to_run: number; cached: number; stopped: number } {
  const toRun = prepared.toRun ?? prepared.billable;
  const stopped = prepared.stopped?.size ?? 0;
  return { to_run: toRun, cached: prepared.nodes.length - toRun - stopped, stopped };
}
