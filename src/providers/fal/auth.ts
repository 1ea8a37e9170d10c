/**
 * fal.ai's key and queue base from the environment (through the Runtime): `FAL_KEY` (may be
 * `key_id:key_secret`), else `FAL_KEY_ID` + `FAL_KEY_SECRET` (as fal's own clients); sent as
 * `Authorization: Key …`. `FAL_QUEUE_BASE` overrides `https://queue.fal.run`.
 */
import type { Runtime } from '../../runtime.js';
import { AuthError } from '../runcomfy/errors.js';
import { checkKeyChars } from '../wire/token-chars.js';

const DEFAULT_QUEUE_BASE = 'https://queue.fal.run';

export const FAL_AUTH_HINT =
  'set FAL_KEY (or FAL_KEY_ID and FAL_KEY_SECRET) to a key from https://fal.ai/dashboard/keys';

export function resolveFalKey(rt: Runtime): string {
  const key = rt.env['FAL_KEY']?.trim();
  if (key) return checkKeyChars(key, 'FAL_KEY', FAL_AUTH_HINT);
  const id = rt.env['FAL_KEY_ID']?.trim();
  const secret = rt.env['FAL_KEY_SECRET']?.trim();
  if (id && secret) {
    const checked = checkKeyChars(id, 'FAL_KEY_ID', FAL_AUTH_HINT);
    return `${checked}:${checkKeyChars(secret, 'FAL_KEY_SECRET', FAL_AUTH_HINT)}`;
  }
  throw new AuthError('not signed in to fal.ai: FAL_KEY is not set (nor FAL_KEY_ID and FAL_KEY_SECRET)', {
    hint: FAL_AUTH_HINT,
  });
}

/** `FAL_QUEUE_BASE`, trimmed, without a trailing `/`; else fal's queue. */
export function resolveFalBaseUrl(rt: Runtime): string {
  const raw = rt.env['FAL_QUEUE_BASE']?.trim();
  return (raw ? raw : DEFAULT_QUEUE_BASE).replace(/\/+$/, '');
}
