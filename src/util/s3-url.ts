/**
 * The syntax of a remote cache's location, `s3://bucket[/prefix]`: pure, so the recipe schema
 * (a recipe's and the user config's `cache.remote`, checked at its line:col by `validate`) and
 * remote/location.ts (which also reads `KONTEXT_REMOTE_CACHE`) apply one rule.
 */

/** S3 bucket names (R2, MinIO and Backblaze follow the same rules). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const SEGMENT = /^[A-Za-z0-9._=+-]+$/;

/**
 * The same rule as one pattern, for the recipe's JSON schema (an editor checks it as you type):
 * a bucket, then segments of {@link SEGMENT} other than `.` and `..` between slashes.
 */
export const S3_URL_PATTERN =
  /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](?:\/+(?!\.{1,2}(?:\/|$))[A-Za-z0-9._=+-]+)*\/*$/;

/** What the recipe's schema says when {@link S3_URL_PATTERN} does not match. */
export const S3_URL_EXPECTED =
  'expected s3://<bucket>/<prefix> (a bucket name: 3-63 lowercase letters, digits, dots, hyphens; ' +
  'a prefix: letters, digits and ._=+- between slashes, no . or .. part)';

/** The bucket and the prefix (no leading, trailing or doubled slashes), or why `text` is not one. */
export function splitS3Url(
  text: string,
): { readonly bucket: string; readonly prefix: string } | { readonly problem: string } {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(text.trim());
  if (!m) return { problem: 'not an s3:// URL' };
  const bucket = m[1] ?? '';
  if (!BUCKET.test(bucket)) return { problem: 'not a bucket name (3-63 lowercase letters, digits, dots, hyphens)' };
  const parts = (m[2] ?? '').split('/').filter((p) => p !== '');
  if (parts.some((p) => p === '.' || p === '..' || !SEGMENT.test(p)))
    return { problem: 'the prefix may hold only letters, digits and ._=+- between slashes' };
  return { bucket, prefix: parts.join('/') };
}
