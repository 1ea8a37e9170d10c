/**
 * Turn AWS SDK failures into {@link HostingError}s with an exit code and a hint. The SDK error
 * itself is never attached (it may carry request details); only a scrubbed copy of its text.
 */
import { certCheckCodeOf, TunnelRefusedError, tunnelRefusalHint } from '../util/proxy.js';
import { redactSecrets, redactUrlsIn } from '../util/redact.js';
import { HostingError, type HostingErrorCode } from './errors.js';

const DENIED = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'Forbidden',
]);
const BUCKET = new Set([
  'NoSuchBucket',
  'PermanentRedirect',
  'AuthorizationHeaderMalformed',
  'IllegalLocationConstraintException',
]);
const SLOW = new Set([
  'SlowDown',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'ThrottlingException',
  'ETIMEDOUT',
]);
const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
]);

const HINTS: Readonly<Record<HostingErrorCode, string | undefined>> = {
  E_HOSTING_CREDENTIALS:
    'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE / hosting.profile naming a profile in ~/.aws',
  E_HOSTING_DENIED: 'check the keys, and that they may s3:PutObject and s3:GetObject on this bucket',
  E_HOSTING_BUCKET: 'check hosting.bucket, hosting.region and hosting.endpoint',
  E_HOSTING_CONFIG: 'check the hosting: block (region, endpoint, force_path_style)',
  E_HOSTING_UNAVAILABLE: 'the storage service is unreachable or failing; try again later',
  E_HOSTING_TIMEOUT: 'the storage service is slow or throttling; try again, or lower -j',
  E_HOSTING_INPUT_REFUSED: undefined,
  E_HOSTING_INPUT_MISSING: undefined,
  E_HOSTING_INPUT_CHANGED: undefined,
  E_HOSTING_COMMAND_FAILED: undefined,
  E_HOSTING_COMMAND_NOT_FOUND: undefined,
  E_HOSTING_COMMAND_TIMEOUT: undefined,
  E_HOSTING_COMMAND_OUTPUT: undefined,
  E_HOSTING_PRIVATE_URL: undefined,
  E_HOSTING_COMMAND_UNTRUSTED: undefined,
  E_HOSTING_UNTRUSTED: undefined,
  E_HOSTING_TEMP: undefined,
};

const SKEWED_HINT = "this machine's clock is too far from the storage service's: set it right (NTP), then run again";

interface SdkErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

/** The error's name (S3 error code), HTTP status and message, whatever shape it came in. */
export function describeSdkError(e: unknown): { name: string; status: number | undefined; message: string } {
  const shape = (typeof e === 'object' && e !== null ? e : {}) as SdkErrorShape;
  const status = shape.$metadata?.httpStatusCode;
  const code = typeof shape.code === 'string' ? shape.code : undefined;
  const name = typeof shape.name === 'string' && shape.name !== 'Error' ? shape.name : (code ?? 'Error');
  return {
    name: code && NETWORK.has(code) ? code : name,
    status: typeof status === 'number' ? status : undefined,
    message: typeof shape.message === 'string' ? shape.message : String(e),
  };
}

/** Which hosting error an SDK failure is. */
export function classifyS3Error(name: string, status: number | undefined, message: string): HostingErrorCode {
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message))
    return 'E_HOSTING_CREDENTIALS';
  if (/region is missing/i.test(message)) return 'E_HOSTING_CONFIG';
  if (DENIED.has(name) || status === 401 || status === 403) return 'E_HOSTING_DENIED';
  if (BUCKET.has(name) || status === 301) return 'E_HOSTING_BUCKET';
  if (SLOW.has(name) || status === 429 || status === 503) return 'E_HOSTING_TIMEOUT';
  if (NETWORK.has(name) || (status !== undefined && status >= 500)) return 'E_HOSTING_UNAVAILABLE';
  if (status !== undefined && status >= 400) return 'E_HOSTING_CONFIG';
  return 'E_HOSTING_UNAVAILABLE';
}

/**
 * A {@link HostingError} for a failed S3 call. `what` names the operation and object
 * (`upload to s3://bucket/key`); `secrets` are scrubbed from the upstream text.
 */
export function s3Error(e: unknown, what: string, secrets: readonly string[]): HostingError {
  // A proxy's refusal of the tunnel (util/proxy-agent.ts): nothing reached the bucket. Its text
  // names the proxy without its user and password, and the host asked for.
  // A 407: the proxy refused our credentials, a credential refused (exit 77) as S3's own 403.
  if (e instanceof TunnelRefusedError)
    return new HostingError(
      e.status === 407 ? 'E_HOSTING_DENIED' : 'E_HOSTING_UNAVAILABLE',
      `could not ${what}: ${e.message}`,
      {
        hint: tunnelRefusalHint(e.status),
        cause: new Error(e.message),
      },
    );
  const { name, status, message } = describeSdkError(e);
  // A certificate check failing (the proxy's own, or a TLS-intercepting proxy's re-signed one):
  // no retry or later run helps, only trusting its authority.
  const certCode = certCheckCodeOf(e);
  if (certCode !== null)
    return new HostingError('E_HOSTING_UNAVAILABLE', `could not ${what}: a certificate is not trusted (${certCode})`, {
      hint:
        'behind a proxy that re-signs TLS, or an https:// proxy: ' +
        "point NODE_EXTRA_CA_CERTS at its certificate authority's PEM file",
      cause: new Error(certCode),
    });
  const code = classifyS3Error(name, status, message);
  const clean = redactUrlsIn(redactSecrets(message, secrets)).slice(0, 300);
  const detail = `${name}${status === undefined ? '' : ` (HTTP ${status})`}: ${clean}`;
  const cause = new Error(detail);
  // The bucket's time and ours too far apart (over 15 min for S3): not a slow service.
  const hint = name === 'RequestTimeTooSkewed' ? SKEWED_HINT : HINTS[code];
  return new HostingError(code, `could not ${what}: ${detail}`, { hint, cause });
}
