/**
 * The one allow-list of a run record's fields that cross between machines: what an upload
 * writes (upload.ts) and all a remote record may give the local store (fetch.ts). Nothing
 * else: no provider output URL (it may carry a signature), no change review (this machine
 * judges drift itself), no price (`cost_usd` is what this machine's report says a result
 * cost), nor any field a later version might add, such as a local path.
 */
import type { RunRecord } from '../store/types.js';

/** A record as it crosses: with the prompt and params others check its key against. */
export type RemoteRecord = RunRecord & {
  readonly prompt: string;
  readonly params: Readonly<Record<string, unknown>>;
};

/** `r` rebuilt from the allow-list, or `null` when it cannot be checked by others (no prompt or params). */
export function remoteRecordOf(r: RunRecord): RemoteRecord | null {
  if (r.prompt === undefined || r.params === undefined) return null;
  return {
    key: r.key,
    node: r.node,
    provider: r.provider,
    model: r.model,
    seed: r.seed,
    input_sha256: r.input_sha256,
    output_sha256: r.output_sha256,
    media_type: r.media_type,
    ext: r.ext,
    request_id: r.request_id,
    finished_at: r.finished_at,
    prompt: r.prompt,
    params: r.params,
  };
}
