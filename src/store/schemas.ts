/**
 * zod shapes of what the store reads back from disk. Files are checked on every read:
 * a cache entry that fails is a miss, a lock file that fails is an error a person must see.
 * The interfaces in `types.ts` are the contract; the assertions at the bottom keep both in step.
 */
import { z } from 'zod';
import { isPlainName } from '../util/hidden-chars.js';
import type { JournalEntry, LockEntry, LockFile, RunRecord } from './types.js';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a lowercase sha256 hex digest');
const seed = z.number().int().min(0).describe('Seed sent to the model');
/**
 * A lock's node ids and strings never hold control characters, bidi controls or invisible
 * characters (a name's rule, util/hidden-chars.ts): kontext writes none, and a lock from someone
 * else must not make `status` or `clean` print escape sequences or a name that reads otherwise
 * than it is. `parseLock` names the character first (lock-check.ts's `refuseHiddenChars`).
 */
const text = z
  .string()
  .refine(isPlainName, 'must not contain control, bidi or invisible characters (kontext writes none)');

export const RunRecordSchema = z.object({
  key: sha256,
  node: z.string(),
  provider: z.string(),
  model: z.string(),
  seed,
  input_sha256: sha256,
  output_sha256: sha256,
  media_type: z.string(),
  ext: z.string().regex(/^[A-Za-z0-9]{1,10}$/),
  request_id: z.string(),
  output_url: z.string().optional(),
  finished_at: z.string(),
  /** The prompt as keyed (NFC, trimmed): lets `--explain` say "prompt changed". */
  prompt: z.string().optional(),
  /** The params as keyed: lets `--explain` say "params changed". */
  params: z.record(z.string(), z.unknown()).optional(),
  /** A price that is no price is dropped, never the record (as a damaged review). */
  cost_usd: z.number().min(0).optional().catch(undefined),
  /** A damaged review is dropped, never the record: a miss would cost a paid request. */
  review: z
    .object({
      metric: z.string(),
      threshold: z.number(),
      changed_pct: z.number().min(0).max(100),
      chain_changed_pct: z.number().min(0).max(100).nullable(),
      map_sha256: sha256,
      width: z.number().int().positive(),
      height: z.number().int().positive(),
      fit: z.enum(['fill', 'contain']).optional(),
    })
    .optional()
    .catch(undefined),
});

export const JournalEntrySchema = z.object({
  key: sha256,
  node: z.string(),
  provider: z.string(),
  model: z.string(),
  seed,
  input_sha256: sha256,
  request_id: z.string().min(1).optional(),
  body_sha256: sha256.optional(),
  request_sha256: sha256.optional(),
  pid: z.number().int().optional(),
  proc: z.string().max(64).optional(),
  run: z.string().optional(),
  lock: z.string().optional(),
  replaces: z.string().nullable().optional(),
  /** This intent's own token, copied into the entry its request id completes (journal-id-temp.ts). */
  attempt: z.string().max(64).optional(),
  submitted_at: z.string(),
  refused_at: z.string().optional(),
});

export const LockEntrySchema = z
  .strictObject({
    seed,
    key: sha256.describe('Cache key of the run that produced the output'),
    input_sha256: sha256.describe('sha256 of the input image bytes'),
    output_sha256: sha256.describe('sha256 of the output image bytes'),
    output: text.describe('Output path relative to the lock file, `/` separators'),
    provider: text,
    model: text,
    request_id: text,
    finished_at: text.describe('ISO-8601 time the node finished'),
    request_sha256: sha256.optional().describe('sha256 of the request without its seed (follows renames)'),
  })
  .describe('One node of the recipe, as last produced');

export const LockFileSchema = z.strictObject({
  version: z.literal(1),
  nodes: z.record(text, LockEntrySchema),
});

/**
 * {@link LockFileSchema} with fields it does not know allowed (and dropped): a lock that passes
 * this one and not that one holds only well-formed entries plus fields of a newer kontext (one
 * added `request_sha256` at version 1): lock-check.ts's `newerFieldsError` says to upgrade.
 */
export const LooseLockFileSchema = z.object({
  version: z.literal(1),
  nodes: z.record(text, z.object(LockEntrySchema.shape)),
});

type Assert<T extends true> = T;
/** Exact type equality (optional and readonly modifiers included). */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type DeepReadonly<T> = T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;
/**
 * Fails to compile when a schema and its hand-written type drift apart; exported only so it is not an unused local.
 * @public
 */
export type SchemasMatchTypes = [
  Assert<Equals<DeepReadonly<z.infer<typeof RunRecordSchema>>, RunRecord>>,
  Assert<Equals<DeepReadonly<z.infer<typeof JournalEntrySchema>>, JournalEntry>>,
  Assert<Equals<DeepReadonly<z.infer<typeof LockEntrySchema>>, LockEntry>>,
  Assert<Equals<DeepReadonly<z.infer<typeof LockFileSchema>>, DeepReadonly<LockFile>>>,
];
