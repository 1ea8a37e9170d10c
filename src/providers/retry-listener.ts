/**
 * Retries happen deep inside the HTTP client, which knows calls, not nodes. The runner wraps
 * each node's provider calls in `withRetryListener`, and the session's client reports every
 * retry through `notifyRetry`, which finds the listener of the node whose call is retrying
 * (AsyncLocalStorage follows the awaits).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RetryNotice {
  readonly call: string;
  readonly attempt: number;
  readonly delayMs: number;
  readonly reason: string;
}

type Listener = (notice: RetryNotice) => void;

const listeners = new AsyncLocalStorage<Listener>();

export function withRetryListener<T>(listener: Listener, fn: () => Promise<T>): Promise<T> {
  return listeners.run(listener, fn);
}

export function notifyRetry(notice: RetryNotice): void {
  listeners.getStore()?.(notice);
}
