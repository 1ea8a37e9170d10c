/**
 * The one check of a request id an API hands back before it is used: it goes into URL paths
 * (escaped, but `.` and `..` stay path segments even escaped, so `/requests/../status` would
 * read another endpoint, whose 404 a later run's re-attach takes for "request gone" and pays
 * again), into the journal, events and messages. A real id is a short token (a UUID, a
 * Replicate id); anything else is a broken or hostile reply, and the submit is then "maybe
 * paid" like a reply with no id at all.
 */
import { firstControlChar } from '../util/control-chars.js';
import { carriesSecret } from '../util/redact.js';
import { firstHiddenChar } from '../util/hidden-chars.js';

/** Longer than any real id (a UUID is 36 characters). */
const MAX_REQUEST_ID_CHARS = 256;

export interface RequestIdRules {
  /** The API key or token: an id holding it would carry it into the journal, the lock and the remote cache. */
  readonly secrets: readonly string[];
  /** Larger for an id that is a URL (BFL's `polling_url`, whose region host and query a UUID lacks). */
  readonly maxChars?: number;
}

/** Why `id` cannot be used as a request id, or `undefined` when it can. */
export function requestIdProblem(id: string, rules: RequestIdRules): string | undefined {
  const maxChars = rules.maxChars ?? MAX_REQUEST_ID_CHARS;
  if (id.trim() === '') return 'it is empty';
  if (id.length > maxChars) return `it is ${id.length} characters long (at most ${maxChars})`;
  if (carriesSecret(id, rules.secrets)) return 'it carries the API key';
  if (firstControlChar(id) !== null) return 'it contains control characters';
  // It goes into the lock, whose strings hold none (store/schemas.ts), and every message naming it.
  if (firstHiddenChar(id, 'name') !== null) return 'it contains a bidi control or an invisible character';
  if (id === '.' || id === '..') return 'it is a path segment';
  return undefined;
}

/** Why a reply's id that is not a string cannot be used: absent, or some other JSON value. */
export function idProblem(id: unknown): string {
  if (id === undefined || id === null) return 'it is missing';
  if (Array.isArray(id)) return 'it is an array, not a string';
  return typeof id === 'object' ? 'it is an object, not a string' : `it is a ${typeof id}, not a string`;
}
