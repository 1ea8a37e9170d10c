/**
 * AWS Signature Version 4 for the remote cache's S3 requests (header form): the canonical
 * request, the string to sign and the `Authorization` header, as the AWS documentation
 * defines them. The signing key (four HMACs) is kept per day, region and secret. Nothing here
 * ever returns or throws the secret: only the signature, a one-way function of it.
 */
import { createHash, createHmac } from 'node:crypto';

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

export interface ToSign {
  readonly method: string;
  /** The path as sent, already URI-encoded (see {@link encodeKeyPath}). */
  readonly path: string;
  /** The query string as sent, already canonical (sorted, encoded); `''` for none. */
  readonly query: string;
  /** Every header to sign, names in lower case (`host` and `x-amz-date` among them). */
  readonly headers: Readonly<Record<string, string>>;
  /** The hex sha256 of the body, or `UNSIGNED-PAYLOAD`. */
  readonly payloadHash: string;
  /** `YYYYMMDDTHHMMSSZ`, the same as the `x-amz-date` header. */
  readonly amzDate: string;
  readonly region: string;
  readonly service: string;
}

export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** `YYYYMMDDTHHMMSSZ` for `ms` since the epoch. */
export function amzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** An object key as a path: each segment encoded per RFC 3986 (S3 does not encode twice). */
export function encodeKeyPath(key: string): string {
  return key
    .split('/')
    .map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

/** One entry: a run signs with one secret, and the key changes once a day. */
let cachedKey: { readonly id: string; readonly key: Buffer } | null = null;

function signingKey(secret: string, day: string, region: string, service: string): Buffer {
  // The id holds a hash of the secret, never the secret itself.
  const id = `${sha256Hex(secret)}/${day}/${region}/${service}`;
  if (cachedKey?.id === id) return cachedKey.key;
  const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), service), 'aws4_request');
  cachedKey = { id, key };
  return key;
}

/** The `Authorization` header value for `req`. */
export function authorization(req: ToSign, credentials: Credentials): string {
  const names = Object.keys(req.headers)
    .map((n) => n.toLowerCase())
    .sort();
  const lower = new Map(Object.entries(req.headers).map(([n, v]) => [n.toLowerCase(), v]));
  const canonicalHeaders = names.map((n) => `${n}:${(lower.get(n) ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  const canonical = [req.method, req.path, req.query, canonicalHeaders, signedHeaders, req.payloadHash].join('\n');
  const day = req.amzDate.slice(0, 8);
  const scope = `${day}/${req.region}/${req.service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', req.amzDate, scope, sha256Hex(canonical)].join('\n');
  const key = signingKey(credentials.secretAccessKey, day, req.region, req.service);
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  const credential = `${credentials.accessKeyId}/${scope}`;
  return `AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}
