/**
 * The recipe document as the user writes it (docs/architecture.md#the-recipe): the single source of truth for
 * its shape. `schemas/recipe.schema.json` is generated from this file (`npm run schema`), so
 * every `.describe()` text below becomes an editor tooltip.
 * Semantic checks (from-resolution, cycles, paths, aspect ratios…) live in `rules/`.
 */
import { z } from 'zod';
import { aspectRatioField, modelField, paramsField, providerField } from './model-fields.js';
import { DEFAULT_MODEL } from './models.js';
import type { HostingConfig } from './types.js';
import { MIN_URL_TTL_SECONDS } from '../util/url-ttl.js';
import { S3_URL_EXPECTED, S3_URL_PATTERN } from '../util/s3-url.js';

/** Pass ids and source names: kebab-case, so they are safe in node ids and file names. */
export const NAME_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Fields a pass shares with `defaults:`. */
const passSettings = {
  seed: z
    .number()
    .int()
    .min(0)
    .max(4294967295)
    .describe(
      'Fixed seed (0..4294967295). Omit it to draw one and record it in the lock file; variants use seed, seed+1, ...',
    ),
  aspect_ratio: aspectRatioField,
  variants: z
    .number()
    .int()
    .min(1)
    .max(64)
    .describe('Run this pass N times with different seeds (1..64); passes after it run once per variant.'),
  save: z
    .string()
    .min(1)
    .describe(
      'Extra copy of each output at this path, relative to the recipe. ' +
        'Placeholders: {source}, {pass}, {variant}, {ext}.',
    ),
  model: modelField.describe("Model for this pass, overriding the recipe's `model` (an id, alias or endpoint id)."),
  provider: providerField.describe("Provider for this pass, overriding the recipe's `provider`."),
  max_change: z
    .union([
      z.number().min(0).max(100),
      z.string().regex(/^(?:100(?:\.0+)?|\d{1,2}(?:\.\d+)?)%$/, 'a percentage from 0% to 100%, e.g. 25%'),
    ])
    .describe(
      'Warn (a drift warning, named in the run summary and by `kontext status`) when the pass changes more than ' +
        'this share of the image: "25%" or 25 (0..100). Measured per pixel at low resolution, see the README.',
    ),
  params: paramsField,
} as const;

const PassSchema = z
  .strictObject({
    id: z
      .string()
      .regex(NAME_PATTERN)
      .describe('Unique pass id, kebab-case (e.g. background, jacket-yellow). Used in node ids and output file names.'),
    prompt: z
      .string()
      .describe(
        'One edit instruction. Lead with what to keep ("Keep the face and pose unchanged."), then make one change.',
      ),
    from: z
      .string()
      .optional()
      .describe(
        'Input of this pass: a source name, another pass id, or <pass>#<k> for variant k of a pass with variants. ' +
          'Default: the previous pass; for the first pass, the only source.',
      ),
    seed: passSettings.seed.optional(),
    aspect_ratio: passSettings.aspect_ratio.optional(),
    variants: passSettings.variants.optional(),
    pick: z
      .number()
      .int()
      .min(1)
      .max(64)
      .optional()
      .describe(
        'The chosen variant (1..variants) of a pass with variants: passes after it take only this one ' +
          '(the other variants stay cached). Set it with `kontext pick <recipe> <pass>#<k>`.',
      ),
    save: passSettings.save.optional(),
    model: passSettings.model.optional(),
    provider: passSettings.provider.optional(),
    params: passSettings.params.optional(),
    max_change: passSettings.max_change.optional(),
  })
  .describe('One single-instruction edit. Its output feeds the next pass unless that pass says otherwise with `from`.');

const DefaultsSchema = z
  .strictObject({
    seed: passSettings.seed.optional(),
    aspect_ratio: passSettings.aspect_ratio.optional(),
    variants: passSettings.variants.optional(),
    save: passSettings.save.optional(),
    model: passSettings.model.optional(),
    provider: passSettings.provider.optional(),
    params: passSettings.params.optional(),
    max_change: passSettings.max_change.optional(),
  })
  .describe('Pass fields applied to every pass that does not set them itself (params are merged, the pass winning).');

const optionalString = (text: string) => z.string().min(1).optional().describe(text);

/**
 * A URL setting of S3 hosting: one with a user name, password or query is refused here, at its line and
 * column, as hosting refuses it when it starts (walk-o: validate passed what run refused).
 */
const noCredentialsUrl = (text: string) =>
  z
    .string()
    .min(1)
    .refine(
      (value) => !hasUserInfo(value),
      'must not carry a user name, password or query string: credentials come from the AWS environment',
    )
    .optional()
    .describe(text);

/** A user name, password or query string in URL `value` (hosting refuses all three when it starts). */
function hasUserInfo(value: string): boolean {
  try {
    const url = new URL(value);
    return url.username !== '' || url.password !== '' || url.search !== '';
  } catch {
    return false; // not a URL: hosting says so when it starts
  }
}

const TTL_FLOOR_MESSAGE = `must be at least ${MIN_URL_TTL_SECONDS} (15 min), so the URL outlasts the provider's queue`;

export const HostingSchema = z
  .discriminatedUnion('mode', [
    z.strictObject({
      mode: z.literal('inline').describe('Send local images inline as data URIs (no upload).'),
    }),
    z.strictObject({
      mode: z.literal('s3').describe('Upload local images to an S3-compatible bucket and pass a (presigned) URL.'),
      bucket: z.string().min(1).describe('Bucket name.'),
      prefix: optionalString('Key prefix for uploads (e.g. kontext/).'),
      region: optionalString('Bucket region (default: from the AWS environment).'),
      endpoint: noCredentialsUrl('Endpoint URL of an S3-compatible service (MinIO, R2, ...).'),
      force_path_style: z.boolean().optional().describe('Use path-style URLs (needed by most S3-compatible services).'),
      public_base_url: noCredentialsUrl(
        'Public URL prefix of the bucket; when set, objects are referenced by it instead of presigned URLs.',
      ),
      presign_ttl_seconds: z
        .number()
        .int()
        .min(MIN_URL_TTL_SECONDS, TTL_FLOOR_MESSAGE)
        .max(604800)
        .optional()
        .describe(
          `Lifetime of presigned URLs in seconds (${MIN_URL_TTL_SECONDS}..604800, default 3600): ` +
            "shorter URLs could expire while the request waits in the provider's queue.",
        ),
      profile: optionalString('AWS profile name for credentials.'),
    }),
    z.strictObject({
      mode: z.literal('command').describe('Run your own command to upload an image; it prints the URL on stdout.'),
      command: z
        .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
        .describe(
          'Command (a string, or an argv array) that uploads one local image ' +
            'and prints its public https URL on stdout.',
        ),
      timeout_seconds: z.number().positive().optional().describe('Give up on the command after this many seconds.'),
      url_ttl_seconds: z
        .number()
        .min(0)
        .optional()
        .describe(
          'How long a URL the command printed lives, so is reused, in seconds (default 3600; 0: run the command ' +
            'every time). It states what the command does: kontext cannot make its URLs live longer.',
        ),
    }),
  ])
  .describe('How local images are made reachable by URL for the provider (default: inline).');

/** `cache:` — where results are shared beyond this machine (README "Remote cache"). */
export const CacheSchema = z
  .strictObject({
    remote: z
      .string()
      // The rule the run applies (util/s3-url.ts), so validate refuses what run would, at its line:col.
      .regex(S3_URL_PATTERN, S3_URL_EXPECTED)
      .optional()
      .describe(
        'Shared remote cache on an S3-compatible bucket, s3://<bucket>/<prefix>: results are looked up there ' +
          "before paying and uploaded after. A recipe's remote is read-only unless trusted.",
      ),
  })
  .describe('Cache settings.');

export const RecipeSchema = z
  .strictObject({
    version: z.literal(1).describe('Recipe format version. Always 1.'),
    name: z
      .string()
      .min(1)
      .optional()
      .describe('Recipe name (default: the file name without extension). Used for the default output folder.'),
    provider: providerField.default('runcomfy'),
    model: modelField
      .default(DEFAULT_MODEL)
      .describe('Model for every pass (default blackforestlabs/flux-1-kontext/pro/edit): an id, alias or endpoint id.'),
    out: optionalString(
      'Output folder, relative to the recipe (default: out/<name> next to the recipe). Must stay inside the project.',
    ),
    hosting: HostingSchema.optional(),
    cache: CacheSchema.optional(),
    defaults: DefaultsSchema.optional(),
    sources: z
      .record(
        z.string().regex(NAME_PATTERN).describe('Source name, kebab-case.'),
        z
          .string()
          .min(1)
          .describe(
            'A local file path (relative to the recipe), an https:// URL, ' +
              'or a glob (*, **, ?, [..], {a,b}) that fans out over files.',
          ),
      )
      .describe('Input images by name: local path, https URL or glob.'),
    passes: z
      .array(PassSchema)
      .min(1)
      .describe('The edits, in order. Each takes one input (`from`) and produces one image per instance and variant.'),
  })
  .describe('A kontext recipe: a reproducible chain of single-instruction Flux Kontext edits, run as a DAG.');

/** The document after schema parsing (defaults applied). */
export type RecipeDocument = z.output<typeof RecipeSchema>;
export type PassDocument = z.output<typeof PassSchema>;

// The schema and the resolved type must agree; this fails to compile when they drift.
const hostingMatches: (h: z.output<typeof HostingSchema>) => HostingConfig = (h) => h;
void hostingMatches;
