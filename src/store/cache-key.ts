/**
 * The cache key of one remote edit (docs/architecture.md#cache-lock-and-journal): sha256 of
 * the canonical JSON of everything that decides the output. The input is keyed by the
 * *content* hash of the image bytes, so a changed upstream output invalidates exactly its
 * downstream and nothing else.
 */
import { hash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import type { RunRecord } from './types.js';

/**
 * Version of the key derivation. Bumping it changes every key, i.e. invalidates the whole
 * cache (old records stay on disk but are never found again). Bump it when the meaning of a
 * key part changes, e.g. a provider starts interpreting a param differently.
 */
export const CACHE_KEY_VERSION = 1;

export interface CacheKeyParts {
  readonly provider: string;
  readonly model: string;
  /** Normalised by the caller (run/node-request.ts: NFC, trimmed), so invisible differences do not miss the cache. */
  readonly prompt: string;
  /** sha256 (hex) of the actual input image bytes. */
  readonly input_sha256: string;
  /** Resolved provider params (aspect_ratio, pass-through params); the runner decides. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly seed: number;
}

/** 64 lowercase hex chars. Throws `CanonicalJsonError` (exit 65) for non-JSON params. */
export function cacheKey(parts: CacheKeyParts): string {
  const canonical = canonicalJson({
    v: CACHE_KEY_VERSION,
    provider: parts.provider,
    model: parts.model,
    prompt: parts.prompt,
    input_sha256: parts.input_sha256,
    params: parts.params,
    seed: parts.seed,
  });
  // One-shot (no Hash object): a status or report keys every node of the recipe.
  return hash('sha256', canonical, 'hex');
}

/**
 * sha256 of what is asked, without the seed: provider, model, prompt, input bytes and params.
 * Two lock entries with the same request hash differ only by seed, so a node that left the
 * plan (a renamed pass or file) can hand its seed to the new node asking the same thing.
 */
export function requestHash(parts: Omit<CacheKeyParts, 'seed'>): string {
  const canonical = canonicalJson({
    v: CACHE_KEY_VERSION,
    provider: parts.provider,
    model: parts.model,
    prompt: parts.prompt.normalize('NFC').trim(),
    input_sha256: parts.input_sha256,
    params: parts.params,
  });
  return hash('sha256', canonical, 'hex');
}

/**
 * Whether a record's request (its provider, model, prompt and params as keyed, input and seed)
 * hashes to its key: a record edited, damaged or planted under another key (a cache restored
 * from a CI tarball, walk-ai 2) fails, and must be no cache hit: its seed would go to the lock and
 * its result to the remote. A record without prompt or params (written before they were kept)
 * cannot be checked and passes; so does nothing else.
 */
export function recordAsksItsKey(r: RunRecord): boolean {
  if (r.prompt === undefined || r.params === undefined) return true;
  try {
    return cacheKey({ ...r, prompt: r.prompt, params: r.params }) === r.key;
  } catch {
    return false; // params that are not plain JSON hash to nothing
  }
}
