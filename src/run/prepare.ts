/**
 * Before a run: select nodes (`--only`, `--force`, `--reseed` patterns: selection.ts), resolve
 * seeds, keys and states, count billable requests, and enforce `--max-cost`. Nothing is submitted here.
 */
import { KontextError, ExitCode } from '../errors.js';
import type { Plan, PlanNode } from '../plan/types.js';
import type { Provider } from '../providers/types.js';
import type { LockFile, Store } from '../store/types.js';
import type { RunOptions } from './options.js';
import { resolveStates, type NodeState } from './resolve.js';
import { resolveSelections } from './selection.js';

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
  const selection = resolveSelections(plan, options);
  const { nodes } = selection;
  const selected: Plan = nodes === plan.nodes ? plan : { ...plan, nodes };
  // Resolve sees node ids: --force/--reseed act on the nodes they name, never on their upstream.
  const states = await resolveStates(selected, deps, { force: selection.force, reseed: selection.reseed });
  const billable = [...states.values()].filter((s) => s.status === 'run').length;
  return { plan, nodes, states, lock: deps.lock, billable };
}

/** Price the billable nodes with the provider's model info; throw when over the limit. */
export async function enforceMaxCost(
  prepared: Prepared,
  provider: Provider,
  maxCostUsd: number,
  signal?: AbortSignal,
): Promise<number> {
  const byModel = new Map<string, number>();
  for (const s of prepared.states.values())
    if (s.status === 'run') byModel.set(s.node.model, (byModel.get(s.node.model) ?? 0) + 1);
  let total = 0;
  for (const [model, count] of byModel) {
    const info = await provider.modelInfo(model, signal);
    if (info.priceUsd === null) {
      throw new KontextError('E_MAX_COST_UNKNOWN_PRICE', `--max-cost: the provider reports no price for ${model}`, {
        exitCode: ExitCode.DATA_ERR,
        hint: 'drop --max-cost, or use a model with a published price',
      });
    }
    total += info.priceUsd * count;
  }
  if (total > maxCostUsd + 1e-9) {
    throw new KontextError(
      'E_MAX_COST',
      `this run would cost about $${total.toFixed(2)} (${prepared.billable} billable request${prepared.billable === 1 ? '' : 's'}), over --max-cost $${maxCostUsd.toFixed(2)}; nothing was submitted`,
      { exitCode: ExitCode.DATA_ERR, hint: 'raise --max-cost, or narrow the run with --only' },
    );
  }
  return total;
}
