/**
 * Before a run: select nodes (`--only`, `--force`, `--reseed` patterns: selection.ts), resolve
 * seeds, keys and states, count billable requests (`--max-cost` is checked in preflight.ts).
 * Nothing is submitted here.
 */
import type { Plan, PlanNode } from '../plan/types.js';
import type { LockFile, Store } from '../store/types.js';
import type { RunOptions } from './options.js';
import { resolveStates, type NodeState } from './resolve.js';
import { resolveSelections } from './selection.js';
import { shardNodes } from './shard.js';
import { billableStates, stoppedNodes } from './node-provider.js';

export interface Prepared {
  readonly plan: Plan;
  /** Selected nodes, topological order. */
  readonly nodes: readonly PlanNode[];
  readonly states: ReadonlyMap<string, NodeState>;
  readonly lock: LockFile;
  /** Paid requests the run will (or may, if an upstream changes) make: one per distinct request (billableStates). */
  readonly billable: number;
  /**
   * Nodes the run stops before they submit (no `--overwrite`): node id → the node whose output,
   * changed by hand, it refuses to overwrite (itself, or the one above it). See stoppedNodes.
   */
  readonly stopped?: ReadonlyMap<string, string> | undefined;
  /** Nodes that will run: the billable ones and those that share their request. */
  readonly toRun?: number | undefined;
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
    /** A new node's seed is derived from the node (default; derived-seed.ts), or drawn (`false`: one-off edits). */
    readonly deriveSeeds?: boolean | undefined;
  },
  options: Pick<RunOptions, 'only' | 'force' | 'reseed' | 'shard' | 'overwrite'>,
): Promise<Prepared> {
  const selection = resolveSelections(plan, options);
  // --shard keeps its share of the source instances of the whole plan (shard.ts), after --only.
  const nodes = options.shard ? shardNodes(plan.nodes, selection.nodes, options.shard) : selection.nodes;
  const selected: Plan = nodes === plan.nodes ? plan : { ...plan, nodes };
  // Resolve sees node ids: --force/--reseed act on the nodes they name, never on their upstream.
  const selections = { force: selection.force, reseed: selection.reseed };
  const planIds = new Set(plan.nodes.map((n) => n.id));
  const states = await resolveStates(selected, { deriveSeeds: true, ...deps, planIds }, selections);
  const toRun = [...states.values()].filter((s) => s.status === 'run').length;
  const stopped = stoppedNodes(nodes, states, options.overwrite === true);
  const billable = billableStates({ nodes, states, stopped }, deps.providerName).length;
  return { plan, nodes, states, lock: deps.lock, billable, toRun, stopped };
}
