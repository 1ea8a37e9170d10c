/**
 * A provider call's retry as the node's events: always a `node-retry`; and a refused submit that
 * waits out a long `Retry-After` (a minute or more: a rate limit) also says so in a warning, which
 * every reporter prints (a live TTY line shows only "retry n"), naming the wait.
 */
import type { RetryNotice } from '../providers/types.js';
import type { UntimedRunEvent } from './events.js';

/** A submit's wait from this long up is a warning too. */
const LONG_SUBMIT_WAIT_MS = 60_000;

export function retryEvents(node: string, n: RetryNotice): UntimedRunEvent[] {
  const retry: UntimedRunEvent = {
    type: 'node-retry',
    node,
    call: n.call,
    attempt: n.attempt,
    delay_ms: n.delayMs,
    reason: n.reason,
  };
  if (n.call !== 'submit' || n.retryAfterMs === undefined || n.delayMs < LONG_SUBMIT_WAIT_MS) return [retry];
  const wait = `${Math.ceil(n.delayMs / 1000)} s`;
  const message =
    `the API refused the submit for ${node} (${n.reason}) and asks to wait ${wait}: waiting ${wait} before ` +
    'sending it again (nothing was accepted or billed; Ctrl-C stops the wait)';
  return [retry, { type: 'warning', node, message }];
}
