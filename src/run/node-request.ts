/**
 * The provider-facing description of a node, and its cache key. One place decides which
 * fields count and how the prompt is normalised, so keys, records and requests never disagree.
 */
import type { PlanNode } from '../plan/types.js';
import type { EditRequest } from '../providers/types.js';
import { cacheKey, requestHash } from '../store/index.js';

/**
 * The prompt as keys and records hold it: NFC, without surrounding whitespace (an editor's
 * trailing newline or a decomposed accent is the same edit).
 */
export function normalizedPrompt(node: Pick<PlanNode, 'prompt'>): string {
  return node.prompt.normalize('NFC').trim();
}

/** What is submitted for `node` (the prompt goes as written: the key ignores only its form). */
export function editRequestFor(
  node: PlanNode,
  input: { readonly imageUrl: string; readonly seed: number },
): EditRequest {
  return {
    model: node.model,
    prompt: node.prompt,
    imageUrl: input.imageUrl,
    seed: input.seed,
    aspectRatio: node.aspectRatio ?? undefined,
    params: node.params,
  };
}

/** Params that reach the provider and the key: pass-through params plus aspect_ratio. */
export function resolvedParams(node: PlanNode): Record<string, unknown> {
  const params: Record<string, unknown> = { ...node.params };
  if (node.aspectRatio !== null) params['aspect_ratio'] = node.aspectRatio;
  return params;
}

export function keyFor(node: PlanNode, provider: string, inputSha256: string, seed: number): string {
  return cacheKey({
    provider,
    model: node.model,
    prompt: normalizedPrompt(node),
    input_sha256: inputSha256,
    params: resolvedParams(node),
    seed,
  });
}

/** The node's request hash (its key without the seed): what a renamed node is matched by. */
export function requestShaFor(node: PlanNode, provider: string, inputSha256: string): string {
  return requestHash({
    provider,
    model: node.model,
    prompt: node.prompt,
    input_sha256: inputSha256,
    params: resolvedParams(node),
  });
}
