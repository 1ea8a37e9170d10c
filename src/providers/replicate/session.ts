/** Opening a Replicate session for a run: the token from the environment (checked before any request). */
import type { Runtime } from '../../runtime.js';
import { parseAllowHosts } from '../runcomfy/host-allow.js';
import type { RetryPolicy } from '../runcomfy/retry.js';
import type { PollPolicy } from '../polling/backoff.js';
import type { RetryNotice } from '../types.js';
import { resolveReplicateBase, resolveReplicateToken } from './auth.js';
import { createReplicateProvider, type ReplicateProvider } from './client.js';

export interface ReplicateSessionOptions {
  readonly deadlineMs?: number | undefined;
  readonly onRetry?: ((info: RetryNotice) => void) | undefined;
  readonly poll?: Partial<PollPolicy> | undefined;
  readonly pollTimesDir?: string | undefined;
  readonly retry?: Partial<RetryPolicy> | undefined;
}

export function openReplicate(rt: Runtime, options: ReplicateSessionOptions): ReplicateProvider {
  const token = resolveReplicateToken(rt);
  const hold = rt.env['KONTEXT_REPLICATE_WAIT_S']?.trim();
  return createReplicateProvider({
    ...options,
    baseUrl: resolveReplicateBase(rt),
    token,
    rt,
    allowHosts: parseAllowHosts(rt.env['KONTEXT_ALLOW_HOSTS']),
    ...(hold && /^\d+$/.test(hold) ? { holdS: Number(hold) } : {}),
  });
}
