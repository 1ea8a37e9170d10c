/**
 * Which provider a node runs on: its pass's `provider:` (recipe, `defaults:` or the pass), or,
 * for hand-built nodes without one, the run's. `--provider` overrides every pass: the plan's
 * nodes are rewritten once (overrideProvider), so keys, lock entries and sessions all follow.
 */
import { ExitCode, KontextError } from '../errors.js';
import { checkParams } from '../models/params.js';
import { isProviderName, lookupModel, providerRuns } from '../models/registry.js';
import type { Plan, PlanNode } from '../plan/types.js';
import type { ProviderName } from '../recipe/types.js';
import type { Prepared } from './prepare.js';

/** The provider `node` runs on; `fallback` (the run's) for a node that names none. */
export function providerOf(node: PlanNode, fallback: string): string {
  return node.provider ?? fallback;
}

/** `--provider`: every node of the plan runs on `name`. */
export function overrideProvider(plan: Plan, name: ProviderName | undefined): Plan {
  if (name === undefined) return plan;
  return { ...plan, nodes: plan.nodes.map((n) => (n.provider === name ? n : { ...n, provider: name })) };
}

/** The nodes that will make a request, grouped by provider then model, with their counts. */
export function billableByProvider(prepared: Prepared, fallback: string): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const s of prepared.states.values()) {
    if (s.status !== 'run') continue;
    const provider = providerOf(s.node, fallback);
    const models = out.get(provider) ?? new Map<string, number>();
    models.set(s.node.model, (models.get(s.node.model) ?? 0) + 1);
    out.set(provider, models);
  }
  return out;
}

/**
 * Before any session opens: every node that will run names a model its provider runs, with
 * params that model takes. Validation checked this for the recipe's own providers; this catches
 * `--provider` moving passes to a host without their model (or with other params). Exit 65.
 */
export function checkRunnable(prepared: Prepared, fallback: string): void {
  for (const s of prepared.states.values()) {
    if (s.status !== 'run') continue;
    const name = providerOf(s.node, fallback);
    const { model } = s.node;
    if (!isProviderName(name) || !providerRuns(name, model))
      throw new KontextError('E_MODEL_PROVIDER', `${s.node.id}: model ${model} is not available on ${name}`, {
        exitCode: ExitCode.DATA_ERR,
        hint: 'see `kontext providers` for what each provider runs',
      });
    const entry = lookupModel(name, model);
    const issue = entry ? checkParams(entry, s.node.params)[0] : undefined;
    if (issue)
      throw new KontextError('E_PARAMS', `${s.node.id}: ${issue.message}`, {
        exitCode: ExitCode.DATA_ERR,
        ...(issue.hint ? { hint: issue.hint } : {}),
      });
  }
}
