/**
 * A resolved node's reason to run in the words its events carry (`node-start`, `node-plan`,
 * `watch-cycle`'s `to_run`), from its NodeState (resolve.ts).
 */
import type { RunReason } from './events.js';
import type { NodeState } from './resolve.js';
import type { ClaimVerdict } from './submit-claim.js';

/**
 * Why a node runs, as its events say it (`node-start`, `node-plan`, `watch-cycle`): for a journaled
 * request of its key, with what the run's claim does with it, so the words say "re-attaching"
 * only to a request id. `key`: the node's key now (an upstream may have changed it since resolve).
 */
export function eventReason(
  state: Pick<NodeState, 'key' | 'reason' | 'claim' | 'claimRefused'>,
  key: string | null = state.key,
): { readonly reason: RunReason; readonly claim?: ClaimVerdict; readonly submit_refused?: true } {
  const same = state.key === key;
  const reason = state.reason ?? (same ? 'not-cached' : 'input-changed');
  if (!same || reason !== 'reattach' || !state.claim) return { reason };
  return { reason, claim: state.claim, ...(state.claimRefused && { submit_refused: true as const }) };
}
