/**
 * Replicate's token, base URL and download hosts from the environment (read through the Runtime
 * only): `REPLICATE_API_TOKEN` (sent as `Authorization: Bearer`), `REPLICATE_API_BASE` (default
 * the public API; tests point it at the emulator), and outputs only from `replicate.delivery` and
 * its subdomains (plus `KONTEXT_ALLOW_HOSTS`).
 */
import type { Runtime } from '../../runtime.js';
import { AuthError } from '../runcomfy/errors.js';
import { checkKeyChars } from '../wire/token-chars.js';

const DEFAULT_BASE_URL = 'https://api.replicate.com';
export const REPLICATE_AUTH_HINT = 'set REPLICATE_API_TOKEN (an API token from replicate.com/account/api-tokens)';

/** Hosts Replicate serves outputs from: `replicate.delivery` and its subdomains. */
export const REPLICATE_OUTPUT_HOSTS = {
  test: (host: string): boolean => host === 'replicate.delivery' || host.endsWith('.replicate.delivery'),
  hint: 'outputs are only downloaded from replicate.delivery and *.replicate.delivery',
} as const;

/** The API token; throws {@link AuthError} (exit 77) when unset, before any request. */
export function resolveReplicateToken(rt: Runtime): string {
  const token = rt.env['REPLICATE_API_TOKEN']?.trim();
  if (!token)
    throw new AuthError('not signed in to Replicate: REPLICATE_API_TOKEN is not set', { hint: REPLICATE_AUTH_HINT });
  return checkKeyChars(token, 'REPLICATE_API_TOKEN', REPLICATE_AUTH_HINT);
}

/** `REPLICATE_API_BASE` without trailing `/` or `/v1` (paths carry `/v1`); else the public API. */
export function resolveReplicateBase(rt: Runtime): string {
  const raw = rt.env['REPLICATE_API_BASE']?.trim();
  return (raw ? raw : DEFAULT_BASE_URL).replace(/\/+$/, '').replace(/\/v1$/, '');
}
