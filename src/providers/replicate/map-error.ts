/**
 * Replicate's HTTP errors (RFC-7807-like `{title, detail, status}`) onto our typed errors, as a
 * pure function: 401/403 → not signed in (77), 402 → out of credit (65), 408/429 → rate limited
 * (75 after retries), 5xx → unavailable (69 after retries), other 4xx (422 schema) → input
 * rejected (65).
 */
import {
  AuthError,
  BalanceExhaustedError,
  InputRejectedError,
  RateLimitedError,
  UpstreamUnavailableError,
  type ProviderError,
  type ProviderErrorOptions,
} from '../runcomfy/errors.js';
import { REPLICATE_AUTH_HINT } from './auth.js';
import { clipRedacted } from '../../util/redact.js';

export type ReplicateErrorKind = 'auth' | 'credit' | 'rate' | 'unavailable' | 'input';

export function classifyReplicate(status: number): ReplicateErrorKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 402) return 'credit';
  if (status === 408 || status === 429) return 'rate';
  if (status >= 500) return 'unavailable';
  return 'input';
}

/** The reply's own words: `detail` (a string, or the 422's field list), else `title`, else the raw text. */
function replicateErrorText(body: unknown, raw: string, secrets: readonly string[]): string {
  const o = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const pick = [o['detail'], o['title'], o['error'], o['message']].find(
    (v) => typeof v === 'string' && v.trim() !== '',
  );
  const text = typeof pick === 'string' ? pick : raw.replace(/\s+/g, ' ').trim() || 'no error message';
  const flat = text.replace(/\s*\n\s*/g, '; ').replace(/;\s*$/, '');
  return clipRedacted(flat, 300, secrets);
}

export function replicateErrorFrom(
  status: number,
  body: unknown,
  raw: string,
  ctx: { readonly call: string; readonly requestId?: string | undefined; readonly secrets: readonly string[] },
): ProviderError {
  const message = `${ctx.call}: HTTP ${status}: ${replicateErrorText(body, raw, ctx.secrets)}`;
  const options: ProviderErrorOptions = { status, requestId: ctx.requestId, secrets: ctx.secrets };
  switch (classifyReplicate(status)) {
    case 'auth':
      return new AuthError(message, { ...options, hint: REPLICATE_AUTH_HINT });
    case 'credit':
      return new BalanceExhaustedError(message, {
        ...options,
        hint: 'add credit at replicate.com/account/billing, then run again (finished passes are cached)',
      });
    case 'rate':
      return new RateLimitedError(message, {
        ...options,
        hint: 'Replicate is throttling this account; run again later or lower the concurrency (-j)',
      });
    case 'unavailable':
      return new UpstreamUnavailableError(message, { ...options, hint: 'Replicate is failing; run again later' });
    case 'input':
      return new InputRejectedError(message, options);
    default: {
      const never: never = classifyReplicate(status) as never;
      return never;
    }
  }
}
