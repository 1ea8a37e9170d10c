/**
 * The environment a hosting command runs with: the user's own, so upload tools (`aws s3 cp`,
 * `gsutil`, `rclone`) find their credentials and config, minus the tokens of image-edit APIs
 * (a command that uploads files never needs them, and one that logs or forwards its
 * environment must not leak them), plus the per-image `KONTEXT_*` values.
 */
import { extForMediaType } from './media-type.js';
import type { LabelledImage } from './types.js';

/**
 * API credentials never passed to a hosting command: every variable src/models/credentials.ts
 * names for a provider (test/unit/hosting/command-env.test.ts holds the two lists together).
 */
const WITHHELD_ENV: readonly string[] = [
  'RUNCOMFY_TOKEN',
  'BFL_API_KEY',
  'FAL_KEY',
  'FAL_KEY_ID',
  'FAL_KEY_SECRET',
  'REPLICATE_API_TOKEN',
];

/**
 * `file`: what the command reads, `KONTEXT_FILE` (hosting/snapshot.ts: a private copy of the
 * checked bytes); the image's own path is `KONTEXT_SOURCE`, to name the upload by, not to read.
 */
export function commandEnv(
  env: Readonly<Record<string, string | undefined>>,
  image: LabelledImage,
  file: string,
): Record<string, string> {
  const withheld = new Set(WITHHELD_ENV.map((n) => n.toUpperCase()));
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  // Names compared upper-cased: Windows environments are case-insensitive.
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !withheld.has(k.toUpperCase())) out[k] = v;
  out['KONTEXT_FILE'] = file;
  out['KONTEXT_SOURCE'] = image.path;
  out['KONTEXT_SHA256'] = image.sha256.toLowerCase();
  out['KONTEXT_MEDIA_TYPE'] = image.mediaType;
  out['KONTEXT_EXT'] = extForMediaType(image.mediaType);
  out['KONTEXT_BYTES'] = String(image.bytes);
  return out;
}
