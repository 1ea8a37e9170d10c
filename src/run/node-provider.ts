/**
 * Which provider a node runs on: its pass's `provider:` (recipe, `defaults:` or the pass), or,
 * for hand-built nodes without one, the run's. `--provider` overrides every pass: the plan's
 * nodes are rewritten once (overrideProvider), so keys, lock entries and sessions all follow.
 */
import { ExitCode, KontextError, worstExitCode } from '../errors.js';
import { checkParams } from '../models/params.js';
import { isProviderName, lookupModel, providerRuns } from '../models/registry.js';
import type { Plan, PlanNode } from '../plan/types.js';
import type { ProviderName } from '../recipe/types.js';
import type { Prepared } from './prepare.js';
import { keyFor } from './node-request.js';
import type { NodeState } from './resolve.js';

/** The provider `node` runs on; `fallback` (the run's) for a node that names none. */
export function providerOf(node: PlanNode, fallback: string): string {
  return node.provider ?? fallback;
}

/** `--provider`: every node of the plan runs on `name`. */
export function overrideProvider(plan: Plan, name: ProviderName | undefined): Plan {
  if (name === undefined) return plan;
  return { ...plan, nodes: plan.nodes.map((n) => (n.provider === name ? n : { ...n, provider: name })) };
}

/**
 * The nodes that will pay for a request, one per distinct request. Nodes asking the very same
 * thing (one cache key: two byte-identical photos with a pinned seed) share one submit in the run
 * (remote-stage.ts joins the request in flight, else the cache has it by then), and so do the
 * nodes below them (the same request on the same upstream request); they are billed once. A
 * forced node counts on its own. Not billed: a node re-attaching to a journaled request (paid
 * already; the nodes sharing its key join it) or waiting for the live run that owns its key
 * (`NodeState.claim`), and a node the run stops before it submits (`Prepared.stopped`).
 */
export function billableStates(
  prepared: Pick<Prepared, 'nodes' | 'states' | 'stopped'>,
  fallback: string,
): NodeState[] {
  const identity = new Map<string, string>();
  const seen = new Set<string>();
  const out: NodeState[] = [];
  for (const node of prepared.nodes) {
    const s = prepared.states.get(node.id);
    if (s?.status !== 'run' || prepared.stopped?.has(node.id) === true) continue;
    const up = node.input.kind === 'node' ? identity.get(node.input.id) : undefined;
    let id = `node:${node.id}`;
    if (!s.forced && s.key !== null) id = s.key;
    else if (!s.forced && up !== undefined) id = keyFor(node, providerOf(node, fallback), `pending:${up}`, s.seed);
    identity.set(node.id, id);
    if (seen.has(id)) continue;
    seen.add(id);
    if (s.claim !== 'attach' && s.claim !== 'wait') out.push(s);
  }
  return out;
}

/** Why the run stops a node before it submits: the node that fails (it, or one above it) and its error. */
export interface Stop {
  readonly by: string;
  readonly error: KontextError;
}

/**
 * The error the run stops this node with before it pays, in the run's order: an output it would
 * overwrite that kontext did not write (hand-edits.ts; not with `--overwrite`, unless it is a git
 * LFS pointer to this very request's result), checked before the submit; then a dead run's
 * intent for its key (submit-claim.ts, exit 75; `claim` is `take-over` instead with
 * `--resubmit-uncertain`). `null`: nothing stops it.
 */
function stopOf(state: NodeState | undefined, overwrite: boolean): KontextError | null {
  if (state?.refused && (!overwrite || state.refused.lfs?.current === true)) return state.refused;
  return state?.uncertain ?? null;
}

/**
 * The nodes a run stops before they submit ({@link stopOf}), each with the node that fails: the
 * node itself, and every node below it (skipped, never run).
 */
export function stoppedNodes(
  nodes: readonly PlanNode[],
  states: ReadonlyMap<string, NodeState>,
  overwrite: boolean,
): Map<string, Stop> {
  const stopped = new Map<string, Stop>();
  for (const node of nodes) {
    const above = node.input.kind === 'node' ? stopped.get(node.input.id) : undefined;
    const error = above ? null : stopOf(states.get(node.id), overwrite);
    if (above !== undefined) stopped.set(node.id, above);
    else if (error) stopped.set(node.id, { by: node.id, error });
  }
  return stopped;
}

/**
 * What the run would end with because of its stopped nodes: the error of the worst exit code
 * (`worstExitCode`, as the run's summary), the first in plan order among equals; else `null`.
 */
export function stopFailure(stopped: ReadonlyMap<string, Stop> | undefined): KontextError | null {
  let worst: KontextError | null = null;
  for (const { error } of stopped?.values() ?? [])
    if (worst === null || worstExitCode(worst.exitCode, error.exitCode) !== worst.exitCode) worst = error;
  return worst;
}

/** The requests the run will make ({@link billableStates}), grouped by provider then model, with their counts. */
export function billableByProvider(prepared: Prepared, fallback: string): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const s of billableStates(prepared, fallback)) {
    const provider = providerOf(s.node, fallback);
    const models = out.get(provider) ?? new Map<string, number>();
    models.set(s.node.model, (models.get(s.node.model) ?? 0) + 1);
    out.set(provider, models);
  }
  return out;
}

/** The providers a run will call: for a billable node, or to re-attach to a journaled request. */
export function providersCalled(prepared: Prepared, fallback: string): Set<string> {
  const out = new Set<string>();
  for (const s of prepared.states.values())
    if (s.status === 'run' && prepared.stopped?.has(s.node.id) !== true) out.add(providerOf(s.node, fallback));
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
    const issue = entry ? checkParams(entry, s.node.params, name)[0] : undefined;
    if (issue)
      throw new KontextError('E_PARAMS', `${s.node.id}: ${issue.message}`, {
        exitCode: ExitCode.DATA_ERR,
        ...(issue.hint ? { hint: issue.hint } : {}),
      });
  }
}
