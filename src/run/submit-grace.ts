/**
 * How long a submit already on the wire at Ctrl-C may still finish (so its request id can be
 * journaled and the request cancelled or re-attached to), and the warning when it does not.
 */
import { InterruptedError } from '../errors.js';
import type { UntimedRunEvent } from './events.js';

/** How long a submit on the wire at Ctrl-C may finish, unless the run says otherwise. */
export const SUBMIT_GRACE_MS = 5_000;

/**
 * The submit was given up with no reply: no request id to re-attach to. Its intent stays in the
 * journal, so the next run reports the node as maybe paid instead of paying again unasked.
 * `reason`: the run's interrupt's, which names what stopped it (Ctrl-C, a SIGTERM: cli/main.ts).
 */
export function submitLostWarning(node: string, ms: number, reason: unknown): UntimedRunEvent {
  const after = interruptionOf(reason);
  return {
    type: 'warning',
    node,
    message:
      `the submit for ${node} was still on the wire ${ms / 1000} s after ${after} and was abandoned; ` +
      'it may have been accepted and billed, but no request id came back, so the next run cannot ' +
      "re-attach to it: it reports the node as maybe paid (check the provider's request history, " +
      'then pass --resubmit-uncertain to submit it again)',
  };
}

/** What stopped the run, as "… after X" says it: what the CLI said interrupted it, else `the interrupt`. */
function interruptionOf(reason: unknown): string {
  return reason instanceof InterruptedError && reason.by !== undefined ? reason.by : 'the interrupt';
}
