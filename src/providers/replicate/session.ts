/** Opening a Replicate session for a run: the token from the environment (checked before any request). */
import type { Runtime } from '../../runtime.js';
import { parseAllowHosts } from '../runcomfy/host-allow.js';
import type { RetryPolicy } from '../runcomfy/retry.js';
import type { PollPolicy } from '../polling/backoff.js';
import type { RetryNotice } from '../types.js';
import { resolveReplicateBase, resolveReplicateToken } from './auth.js';
import { createReplicateProvider, MAX_HOLD_S, type ReplicateProvider } from './client.js';
import { UsageError } from '../../errors.js';

export interface ReplicateSessionOptions {
  readonly deadlineMs?: number | undefined;
  readonly onRetry?: ((info: RetryNotice) => void) | undefined;
  readonly poll?: Partial<PollPolicy> | undefined;
  readonly pollTimesDir?: string | undefined;
  readonly retry?: Partial<RetryPolicy> | undefined;
}

export function openReplicate(rt: Runtime, options: ReplicateSessionOptions): ReplicateProvider {
  const token = resolveReplicateToken(rt);
  const holdS = holdOf(rt.env['KONTEXT_REPLICATE_WAIT_S']);
  return createReplicateProvider({
    ...options,
    baseUrl: resolveReplicateBase(rt),
    token,
    rt,
    allowHosts: parseAllowHosts(rt.env['KONTEXT_ALLOW_HOSTS']),
    ...(holdS === undefined ? {} : { holdS }),
  });
}

/**
 * `KONTEXT_REPLICATE_WAIT_S`: whole seconds, 0 to {@link MAX_HOLD_S}. Anything else is refused
 * (exit 64) rather than read as something else: a longer hold outlives the Ctrl-C grace for a
 * submit on the wire, and the prediction it creates is lost to a Ctrl-C (maybe paid).
 */
function holdOf(value: string | undefined): number | undefined {
  const text = value?.trim() ?? '';
  if (text === '') return undefined;
  if (/^\d{1,2}$/.test(text) && Number(text) <= MAX_HOLD_S) return Number(text);
  throw new UsageError(
    `KONTEXT_REPLICATE_WAIT_S must be a whole number of seconds from 0 to ${MAX_HOLD_S}, got ${JSON.stringify(text)}`,
    { hint: `a longer hold outlives the Ctrl-C grace (5 s): a prediction created meanwhile would be lost, maybe paid` },
  );
}
