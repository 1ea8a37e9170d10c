/**
 * What a failed S3 call means for the remote cache. None of them fails a run: a missing object
 * is a miss, AccessDenied on a write means read-only credentials, and anything else (bad
 * credentials, no bucket, the service down) turns the remote off for the rest of the run.
 */
import { ExitCode, KontextError } from '../errors.js';
import { describeSdkError } from '../hosting/s3-errors.js';
import { tunnelRefusalOf } from '../util/proxy.js';
import { redactSecrets, redactUrlsIn } from '../util/redact.js';

/** `refused`: an object we will not take (over its size cap): a miss for that key only. */
export type RemoteFailureKind = 'denied' | 'credentials' | 'unavailable' | 'refused';

const CREDENTIALS = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'CredentialsProviderError',
]);

/** A remote-cache call that failed; never thrown out of src/remote (it becomes a warning). */
export class RemoteCacheError extends KontextError {
  override readonly name = 'RemoteCacheError';
  constructor(
    readonly kind: RemoteFailureKind,
    message: string,
  ) {
    super(`E_REMOTE_${kind.toUpperCase()}`, message, { exitCode: ExitCode.UNAVAILABLE });
  }
}

/** Is it "no such object"? */
export function isMissing(e: unknown): boolean {
  const { name, status } = describeSdkError(e);
  return status === 404 || name === 'NoSuchKey' || name === 'NotFound';
}

/** Classify an SDK failure; `what` names the call (`read s3://b/k`); `secrets` are scrubbed. */
export function remoteError(e: unknown, what: string, secrets: readonly string[]): RemoteCacheError {
  const refused = tunnelRefusalOf(e);
  if (refused !== null)
    return new RemoteCacheError(
      'unavailable',
      `${what}: the proxy refused the tunnel to the bucket's host (HTTP ${refused})`,
    );
  const { name, status, message } = describeSdkError(e);
  let kind: RemoteFailureKind = 'unavailable';
  if (CREDENTIALS.has(name) || /could not load credentials/i.test(message)) kind = 'credentials';
  // A 403 for this machine's clock (s3-http.ts signs again with the server's time first): no
  // permission to grant, and every call would be refused alike.
  else if (name === 'RequestTimeTooSkewed') kind = 'unavailable';
  else if (name === 'AccessDenied' || name === 'Forbidden' || status === 403 || status === 401) kind = 'denied';
  const clean = redactUrlsIn(redactSecrets(message, secrets)).slice(0, 200);
  return new RemoteCacheError(kind, `${what}: ${name}${status === undefined ? '' : ` (HTTP ${status})`}: ${clean}`);
}

/** Why no result of a context reaches its remote any more (`RemoteCache.lost`'s reason). */
export interface RemoteLost {
  readonly url: string;
  /**
   * `unusable`: the remote is off (down, a bad key, no bucket); `denied`: uploads denied (read-only
   * credentials); `read-only`: a recipe's remote used read-only from the start. The last two are a
   * permission to grant.
   */
  readonly kind: 'unusable' | 'denied' | 'read-only';
  /** Why, in a few words: `is not usable (read: ECONNREFUSED …)`, `denied the uploads (read-only credentials)`. */
  readonly why: string;
}
