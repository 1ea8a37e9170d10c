/**
 * A run record's change review (`review`: how much of the image a pass changed, against its
 * input and against the chain's source, and the change map's blob). Read defensively by shape:
 * records written before reviews existed, or by another version, have none or a different one,
 * and the report then simply shows no change figures.
 */
import type { RunRecord } from '../store/types.js';
import type { CellReview } from './types.js';

const SHA256 = /^[0-9a-f]{64}$/;

export function readReview(record: RunRecord | null): Omit<CellReview, 'map'> | null {
  const r = (record as { readonly review?: unknown } | null)?.review;
  if (typeof r !== 'object' || r === null) return null;
  const o = r as Record<string, unknown>;
  const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  const chain = o['chain_changed_pct'];
  if (!num(o['changed_pct']) || !num(o['threshold']) || !num(o['width']) || !num(o['height'])) return null;
  if (typeof o['metric'] !== 'string' || typeof o['map_sha256'] !== 'string' || !SHA256.test(o['map_sha256']))
    return null;
  if (chain !== null && chain !== undefined && !num(chain)) return null;
  return {
    metric: o['metric'],
    threshold: o['threshold'],
    changed_pct: o['changed_pct'],
    chain_changed_pct: num(chain) ? chain : null,
    map_sha256: o['map_sha256'],
    width: o['width'],
    height: o['height'],
  };
}
