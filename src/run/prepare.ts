/**
 * Before a run: select nodes (`--only`), check pass names, resolve seeds, keys and states,
 * count billable requests (`--max-cost` is checked in preflight.ts). Nothing is submitted here.
 */
import { UsageError } from '../errors.js';
import type { Plan, PlanNode } from '../plan/types.js';
import type { LockFile, Store } from '../store/types.js';
import type { RunOptions } from './options.js';
import { resolveStates, type NodeState } from './resolve.js';
import { closest } from '../util/did-you-mean.js';

export interface Prepared {
  readonly plan: Plan;
  /** Selected nodes, topological order. */
  readonly nodes: readonly PlanNode[];
  readonly states: ReadonlyMap<string, NodeState>;
  readonly lock: LockFile;
  /** Nodes that will (or may, if their upstream changes) make a paid request. */
  readonly billable: number;
}

export async function prepareRun(
  plan: Plan,
  deps: {
    readonly store: Store;
    readonly providerName: string;
    readonly lock: LockFile;
    readonly draw: () => number;
    readonly sessionSeeds?: ReadonlyMap<string, number> | undefined;
  },
  options: Pick<RunOptions, 'only' | 'force' | 'reseed'>,
): Promise<Prepared> {
  const passes = new Set(plan.nodes.map((n) => n.pass));
  for (const [flag, list] of [
    ['--only', options.only],
    ['--force', options.force],
    ['--reseed', options.reseed],
  ] as const) {
    if (Array.isArray(list)) for (const p of list) if (!passes.has(p)) throw unknownPass(flag, p, passes);
  }
  const nodes = options.only ? selectWithAncestors(plan, new Set(options.only)) : plan.nodes;
  const selected: Plan = nodes === plan.nodes ? plan : { ...plan, nodes };
  const states = await resolveStates(selected, deps, options);
  const billable = [...states.values()].filter((s) => s.status === 'run').length;
  return { plan, nodes, states, lock: deps.lock, billable };
}

function selectWithAncestors(plan: Plan, passes: ReadonlySet<string>): PlanNode[] {
  const byId = new Map(plan.nodes.map((n) => [n.id, n]));
  const keep = new Set<string>();
  for (const n of plan.nodes) {
    if (!passes.has(n.pass)) continue;
    let cur: PlanNode | undefined = n;
    while (cur && !keep.has(cur.id)) {
      keep.add(cur.id);
      cur = cur.input.kind === 'node' ? byId.get(cur.input.id) : undefined;
    }
  }
  return plan.nodes.filter((n) => keep.has(n.id));
}

function unknownPass(flag: string, name: string, passes: ReadonlySet<string>): UsageError {
  const known = [...passes];
  const close = closest(name, known);
  return new UsageError(`${flag}: no pass "${name}" in this recipe`, {
    hint: close ? `did you mean "${close}"? passes: ${known.join(', ')}` : `passes: ${known.join(', ')}`,
  });
}
