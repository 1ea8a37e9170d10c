/** What every node of a run hands `executeNode` (execute.ts): the run's provider, store, limits and intents. */
import pLimit from 'p-limit';
import type { PlanNode } from '../plan/types.js';
import { apiIsLocal } from '../providers/api-base.js';
import { testRereadMs } from '../providers/test-poll.js';
import type { UntimedRunEvent } from './events.js';
import type { CostBudget } from './cost-budget.js';
import type { ExecuteDeps, Submitted } from './execute.js';
import { providerOf } from './node-provider.js';
import type { RunDeps, RunOptions } from './options.js';

export function executeDepsFor(
  deps: RunDeps,
  options: RunOptions,
  p: {
    readonly emit: (e: UntimedRunEvent) => void;
    readonly onSubmitted: (submit: Submitted) => void;
    readonly onCancelling?: ((cancel: Promise<unknown>) => void) | undefined;
    readonly priceOf?: ((provider: string, model: string) => Promise<number | null>) | undefined;
    readonly budget?: CostBudget | undefined;
    readonly signal: AbortSignal;
    /** The run stopped by a failure (run-tally.ts's `stopSubmits`). */
    readonly stopSubmits?: AbortSignal | undefined;
    /** This run's token in journal intents (see submit-claim.ts). */
    readonly run: string;
  },
): ExecuteDeps {
  // Downloads run beside the -j slots under their own limit of the same size.
  const downloads = pLimit(Math.max(1, options.jobs));
  return {
    provider: deps.provider,
    providerName: deps.providerName,
    store: deps.store,
    hosting: deps.hosting,
    apiIsLocal: (name) => apiIsLocal(name, deps.rt),
    now: deps.rt.now,
    monotonic: deps.rt.monotonic,
    emit: p.emit,
    onSubmitted: p.onSubmitted,
    onCancelling: p.onCancelling,
    signal: p.signal,
    stopSubmits: p.stopSubmits,
    deadlineMs: options.deadlineMs,
    submitGraceMs: options.submitGraceMs,
    outputRereadMs: options.outputRereadMs ?? testRereadMs(deps.providerName, deps.rt),
    limitDownload: (fn) => downloads(fn),
    priceOf: p.priceOf,
    budget: p.budget,
    intents: {
      pid: deps.rt.pid,
      isAlive: (pid) => deps.rt.isAlive(pid),
      run: p.run,
      ...(deps.lockPath === null ? {} : { lock: deps.lockPath }),
      resubmitUncertain: options.resubmitUncertain === true,
      sleep: deps.rt.sleep,
      crashPoint: deps.rt.crashPoint,
    },
  };
}

/**
 * The execute deps of `node`: the run's (`run`), with the node's own provider when it names
 * another. Without `providerFor` (hand-wired deps) the one provider serves every node, under the
 * node's name. The test knob's short rereads only where this node's own API is on loopback.
 */
export function executeDepsOfNode(
  run: ExecuteDeps,
  node: PlanNode,
  deps: Pick<RunDeps, 'providerName' | 'providerFor' | 'rt'>,
  options: Pick<RunOptions, 'outputRereadMs'>,
): ExecuteDeps {
  const name = providerOf(node, deps.providerName);
  if (name === deps.providerName) return run;
  return {
    ...run,
    ...(deps.providerFor ? { provider: deps.providerFor(name) } : {}),
    providerName: name,
    outputRereadMs: options.outputRereadMs ?? testRereadMs(name, deps.rt),
  };
}
