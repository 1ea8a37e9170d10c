/**
 * The seed a new node gets when nothing pins one (no seed in the recipe, the lock, the journal or
 * the watch session, and no `--reseed`): derived from the node itself, so every machine and
 * every CI shard gives the same node the same seed, hence the same cache key. A shard writes no
 * lock the assemble run could read its seeds from; with derived seeds the assemble run asks the
 * caches for the very keys the shards paid for (docs/ci.md). `--reseed` still draws at random.
 */
import { createHash } from 'node:crypto';
import type { PlanNode } from '../plan/types.js';
import { canonicalJson } from '../store/index.js';
import { normalizedPrompt, resolvedParams } from './node-request.js';

/** A seed in 0..2^32-1 from the node id, model, prompt and params (not the input: unknown downstream). */
export function derivedSeed(node: PlanNode): number {
  const identity = canonicalJson({
    v: 1,
    node: node.id,
    model: node.model,
    prompt: normalizedPrompt(node),
    params: resolvedParams(node),
  });
  return createHash('sha256').update(`kontext-seed:${identity}`).digest().readUInt32BE(0);
}
