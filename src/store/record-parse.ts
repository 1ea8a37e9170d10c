/**
 * A run record read back from disk, checked without zod when it is well formed: a report reads
 * every node's record (1,000 for a 1,000-node recipe) and zod's parse of each cost more than the
 * read. The answer is the one `RunRecordSchema` gives (test/unit/store/record-parse.test.ts
 * compares both on good, extended and damaged records): the known fields in the schema's order,
 * unknown ones dropped. Anything this check does not accept as it stands (a damaged review,
 * a field of the wrong type, a `__proto__` key) goes to zod, which decides as before.
 */
import { RunRecordSchema } from './schemas.js';
import type { RunRecord, RunReview } from './types.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;
const EXT = /^[A-Za-z0-9]{1,10}$/;
const STRINGS = ['node', 'provider', 'model', 'media_type', 'request_id', 'finished_at'] as const;

type Fields = Readonly<Record<string, unknown>>;

function isFields(v: unknown): v is Fields {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

const isSha = (v: unknown): v is string => typeof v === 'string' && SHA256_HEX.test(v);
const isOptionalString = (v: unknown): boolean => v === undefined || typeof v === 'string';
const isPct = (v: unknown): v is number => typeof v === 'number' && v >= 0 && v <= 100;
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isSize = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;

/** The record as zod would return it, or null when it is not a record (a miss). */
export function parseRunRecord(data: unknown): RunRecord | null {
  const fast = wellFormed(data);
  if (fast !== null) return fast;
  const parsed = RunRecordSchema.safeParse(data);
  return parsed.success ? parsed.data : null;
}

/** The record when every field is as the schema wants it; null to let zod decide. */
function wellFormed(r: unknown): RunRecord | null {
  if (!isFields(r)) return null;
  if (!isSha(r['key']) || !isSha(r['input_sha256']) || !isSha(r['output_sha256'])) return null;
  for (const k of STRINGS) if (typeof r[k] !== 'string') return null;
  const seed = r['seed'];
  if (!Number.isSafeInteger(seed) || (seed as number) < 0) return null;
  if (typeof r['ext'] !== 'string' || !EXT.test(r['ext'])) return null;
  if (!isOptionalString(r['output_url']) || !isOptionalString(r['prompt'])) return null;
  const params = r['params'];
  if (params !== undefined && (!isFields(params) || Object.hasOwn(params, '__proto__'))) return null;
  const cost = r['cost_usd'];
  if (cost !== undefined && !(isFiniteNumber(cost) && cost >= 0)) return null;
  const review = r['review'] === undefined ? undefined : wellFormedReview(r['review']);
  if (review === null) return null;
  const record: Record<string, unknown> = {
    key: r['key'],
    node: r['node'],
    provider: r['provider'],
    model: r['model'],
    seed,
    input_sha256: r['input_sha256'],
    output_sha256: r['output_sha256'],
    media_type: r['media_type'],
    ext: r['ext'],
    request_id: r['request_id'],
  };
  if (r['output_url'] !== undefined) record['output_url'] = r['output_url'];
  record['finished_at'] = r['finished_at'];
  if (r['prompt'] !== undefined) record['prompt'] = r['prompt'];
  if (params !== undefined) record['params'] = { ...params };
  if (cost !== undefined) record['cost_usd'] = cost;
  if (review !== undefined) record['review'] = review;
  return record as unknown as RunRecord;
}

function wellFormedReview(v: unknown): RunReview | null {
  if (!isFields(v)) return null;
  const { metric, threshold, changed_pct, chain_changed_pct, map_sha256, width, height, fit } = v;
  if (typeof metric !== 'string' || !isFiniteNumber(threshold) || !isPct(changed_pct)) return null;
  if (chain_changed_pct !== null && !isPct(chain_changed_pct)) return null;
  if (!isSha(map_sha256) || !isSize(width) || !isSize(height)) return null;
  const review = { metric, threshold, changed_pct, chain_changed_pct, map_sha256, width, height };
  if (fit === undefined) return review;
  return fit === 'fill' || fit === 'contain' ? { ...review, fit } : null;
}
