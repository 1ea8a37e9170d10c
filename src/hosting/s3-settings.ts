/**
 * The `hosting: { mode: s3 }` block, checked and normalised, and the object naming rules:
 * key `<prefix>/<sha256>.<ext>` (content-addressed, so the same bytes always land on the
 * same key and a HEAD tells whether they are already there).
 */
import type { HostingConfig } from '../recipe/types.js';
import { MIN_URL_TTL_SECONDS } from '../util/url-ttl.js';
import { HostingError } from './errors.js';
import { extForMediaType } from './media-type.js';

export type S3HostingConfig = Extract<HostingConfig, { readonly mode: 's3' }>;

/** Presigned URLs live an hour unless the recipe says otherwise. */
export const DEFAULT_PRESIGN_TTL_SECONDS = 3600;
/** SigV4 presigned URLs cannot live longer than 7 days. */
const MAX_PRESIGN_TTL_SECONDS = 604_800;

export interface S3Settings {
  readonly bucket: string;
  /** Normalised: no leading, trailing or doubled slashes; `''` for none. */
  readonly prefix: string;
  readonly region: string | undefined;
  readonly endpoint: string | undefined;
  readonly forcePathStyle: boolean;
  readonly publicBaseUrl: string | undefined;
  readonly presignTtlSeconds: number;
  readonly profile: string | undefined;
}

function configError(message: string, hint: string): HostingError {
  return new HostingError('E_HOSTING_CONFIG', `hosting: ${message}`, { hint });
}

function checkHttpUrl(field: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw configError(`${field} is not a URL`, `write a full URL, e.g. https://cdn.example.com/images`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw configError(`${field} must be an http(s) URL`, 'use https://');
  if (url.username || url.password || url.search)
    throw configError(
      `${field} must not carry credentials or a query string`,
      'credentials come from the AWS environment, never the hosting settings',
    );
  return value;
}

/** Split a prefix into clean segments; `.` and `..` are refused (URLs would normalise them away). */
export function normalizePrefix(prefix: string | undefined): string {
  const parts = (prefix ?? '').split('/').filter((p) => p !== '');
  if (parts.some((p) => p === '.' || p === '..'))
    throw configError('prefix must not contain "." or ".." segments', 'use a plain folder name such as kontext/inputs');
  return parts.join('/');
}

export function s3Settings(config: S3HostingConfig): S3Settings {
  const bucket = config.bucket.trim();
  if (bucket === '' || bucket.includes('/'))
    throw configError('bucket must be a bucket name (no slashes)', 'put folders in `prefix`');
  const ttl = config.presign_ttl_seconds ?? DEFAULT_PRESIGN_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < MIN_URL_TTL_SECONDS || ttl > MAX_PRESIGN_TTL_SECONDS) {
    throw configError(
      `presign_ttl_seconds must be a whole number from ${MIN_URL_TTL_SECONDS} to ${MAX_PRESIGN_TTL_SECONDS}`,
      "presigned URLs live at most 7 days, and at least 15 min so they outlast the provider's queue",
    );
  }
  if (config.region !== undefined && config.region.trim() === '')
    throw configError('region is empty', 'e.g. us-east-1, or auto for R2');
  return {
    bucket,
    prefix: normalizePrefix(config.prefix),
    region: config.region,
    endpoint: checkHttpUrl('endpoint', config.endpoint),
    forcePathStyle: config.force_path_style ?? false,
    publicBaseUrl: checkHttpUrl('public_base_url', config.public_base_url),
    presignTtlSeconds: ttl,
    profile: config.profile,
  };
}

/**
 * The endpoint the SDK is given (s3-client.ts): `hosting.endpoint`, else the environment's
 * `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL` (the SDK's own names and order, read from the
 * runtime's env, unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`), else none: AWS S3.
 */
export function endpointFor(
  settings: S3Settings,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  if (settings.endpoint !== undefined) return settings.endpoint;
  if (ignoresConfiguredEndpoints(env)) return undefined;
  return env['AWS_ENDPOINT_URL_S3'] || env['AWS_ENDPOINT_URL'] || undefined;
}

/** `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`: the SDK takes no endpoint from the env or a profile. */
export function ignoresConfiguredEndpoints(env: Readonly<Record<string, string | undefined>>): boolean {
  return env['AWS_IGNORE_CONFIGURED_ENDPOINT_URLS']?.toLowerCase() === 'true';
}

/** `<prefix>/<sha256>.<ext>`, or `<sha256>.<ext>` without a prefix. */
export function objectKey(prefix: string, sha256: string, mediaType: string): string {
  const name = `${sha256.toLowerCase()}.${extForMediaType(mediaType)}`;
  return prefix === '' ? name : `${prefix}/${name}`;
}

/** The public URL of a key under `public_base_url`, joined with exactly one slash. */
export function publicUrlFor(baseUrl: string, key: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  return `${base}/${key.split('/').map(encodeURIComponent).join('/')}`;
}
