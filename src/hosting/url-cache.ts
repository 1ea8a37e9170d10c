/**
 * Hosted-URL records: `<cacheDir>/hosted/<mode>-<fingerprint>/<sha256>.json` = `{ url, expires_at,
 * media_type }`, or for s3 `{ expires_at: null, media_type }` with no URL: the object is in the
 * bucket and a URL is made again for each use (cached-hosting.ts `urlAgain`), so no presigned URL,
 * with its access key id and session token, is kept on disk. The media type is the one the
 * image was hosted with (the object's extension and `Content-Type`, a command's `KONTEXT_EXT`):
 * a record without one, or with another (written by a kontext that labelled images by their file
 * name), is not reused.
 * The fingerprint covers the settings that decide where an object lives (bucket, endpoint,
 * prefix, for S3 the endpoint the SDK is given, `AWS_ENDPOINT_URL_S3` when the block names none
 * (s3.ts); a command's text, the project root it runs in, its program and the content of the
 * project's files it names: command-identity.ts), so a changed `hosting:` block never reuses
 * another bucket's URL, nor a project another project's script printed.
 * A command's record keeps the URL it printed, which may be signed: files are 0600 in a 0700
 * folder, nothing else is in them, and `kontext gc` removes them once expired (store/gc-hosted.ts).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { mkdirp } from '../util/mkdir-p.js';
import { z } from 'zod';
import { writeFileAtomic } from '../store/atomic.js';
import { layout } from '../store/layout.js';
import { READ_CAPS, readBoundedText } from '../util/read-bounded.js';

const RECORD_VERSION = 1;

const recordSchema = z.object({
  version: z.literal(RECORD_VERSION),
  url: z
    .string()
    .min(1)
    .optional()
    .describe('The hosted URL (may be signed: secret until it expires); none when one is made for each use.'),
  hosted_at: z.iso.datetime().describe('When the URL was made.'),
  expires_at: z.iso.datetime().nullable().describe('When the URL stops working; null = never.'),
  media_type: z.string().min(1).optional().describe("The media type the image was hosted with (its bytes')."),
  verified: z
    .boolean()
    .optional()
    .describe("A command's URL: whether a GET from this machine got the image's bytes (false: it could not tell)."),
});

export interface UrlRecord {
  /** `null`: the bytes are hosted and a URL is made for each use (s3). */
  readonly url: string | null;
  readonly hostedAt: number;
  readonly expiresAt: number | null;
  /** `null`: written before records carried it. */
  readonly mediaType: string | null;
  /** A command's URL: whether what it served was checked to be the image (verify-url.ts); `null`: not known. */
  readonly verified?: boolean | null | undefined;
}

/** A short stable id for the settings that decide a URL's identity. */
export function fingerprint(identity: Readonly<Record<string, unknown>>): string {
  const keys = Object.keys(identity).sort();
  const canonical = JSON.stringify(keys.map((k) => [k, identity[k] ?? null]));
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** Where the record for one image lives. */
export function recordPath(cacheDir: string, mode: string, configFingerprint: string, sha256: string): string {
  return join(layout.hosted(cacheDir), `${mode}-${configFingerprint}`, `${sha256}.json`);
}

/** The record, or `null` when missing or unreadable (a damaged record just means re-hosting). */
export async function readRecord(file: string): Promise<UrlRecord | null> {
  let text: string;
  try {
    text = await readBoundedText(file, READ_CAPS.urlRecord);
  } catch {
    return null;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = recordSchema.safeParse(raw);
  if (!parsed.success) return null;
  const { url, hosted_at, expires_at, media_type, verified } = parsed.data;
  return {
    url: url ?? null,
    hostedAt: Date.parse(hosted_at),
    expiresAt: expires_at === null ? null : Date.parse(expires_at),
    mediaType: media_type ?? null,
    verified: verified ?? null,
  };
}

/** Write a record atomically, readable by the owner only. */
export async function writeRecord(file: string, record: UrlRecord): Promise<void> {
  await mkdirp(join(file, '..'), 0o700);
  const body: z.infer<typeof recordSchema> = {
    version: RECORD_VERSION,
    ...(record.url === null ? {} : { url: record.url }),
    hosted_at: new Date(record.hostedAt).toISOString(),
    expires_at: record.expiresAt === null ? null : new Date(record.expiresAt).toISOString(),
    ...(record.mediaType === null ? {} : { media_type: record.mediaType }),
    ...(typeof record.verified === 'boolean' ? { verified: record.verified } : {}),
  };
  await writeFileAtomic(file, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
}
