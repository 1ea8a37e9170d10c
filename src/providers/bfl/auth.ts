/**
 * BFL's key and base URL from the environment (through the Runtime, never `process`):
 * `BFL_API_KEY` (sent as `x-key`), `BFL_API_BASE` (default `https://api.bfl.ai`; the EU/US
 * multi-cluster hosts `https://api.eu.bfl.ai` / `https://api.us.bfl.ai` work too).
 */
import type { Runtime } from '../../runtime.js';
import { AuthError } from '../runcomfy/errors.js';
import { checkKeyChars } from '../wire/token-chars.js';

const DEFAULT_BASE_URL = 'https://api.bfl.ai';

export const BFL_AUTH_HINT = 'set BFL_API_KEY to a key from https://dashboard.bfl.ai';

export function resolveBflKey(rt: Runtime): string {
  const key = rt.env['BFL_API_KEY']?.trim();
  if (!key) throw new AuthError('not signed in to BFL: BFL_API_KEY is not set', { hint: BFL_AUTH_HINT });
  return checkKeyChars(key, 'BFL_API_KEY', BFL_AUTH_HINT);
}

/** `BFL_API_BASE`, trimmed, without a trailing `/`; else the global API. */
export function resolveBflBaseUrl(rt: Runtime): string {
  const raw = rt.env['BFL_API_BASE']?.trim();
  return (raw ? raw : DEFAULT_BASE_URL).replace(/\/+$/, '');
}
