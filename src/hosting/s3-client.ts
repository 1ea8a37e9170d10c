/**
 * Build the S3 client. Credentials come from the environment the runtime carries
 * (`AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`) when present; otherwise
 * from the SDK's default chain with `profile` (shared config, SSO, process, container/instance
 * roles). Never from the recipe. Behind a proxy (`HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` in that
 * environment, util/proxy.ts), its connections are CONNECT tunnels through it (util/proxy-agent.ts).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { proxyAgentsFor } from '../util/proxy-agent.js';
import { endpointFor, type S3Settings } from './s3-settings.js';

type Env = Readonly<Record<string, string | undefined>>;

const CONNECT_TIMEOUT_MS = 10_000;
/**
 * Socket idle time before a request is abandoned (not the whole transfer's duration): the
 * handler's `socketTimeout`. Its `requestTimeout` is no bound at all (@smithy/node-http-handler
 * 4.x only logs a warning, to the silent logger, unless `throwOnRequestTimeout`), so a bucket
 * that accepted the connection and never answered held the run for ever (walk-af 1).
 */
const S3_IDLE_TIMEOUT_MS = 60_000;

const ignore = (): void => undefined;
/**
 * Library code never prints. Without a logger of its own the SDK warns on the console (e.g. when
 * a streamed PUT fails); failures reach the caller as typed errors instead.
 */
const SILENT_LOGGER = { trace: ignore, debug: ignore, info: ignore, warn: ignore, error: ignore };

/** The access key id in a SigV4 `Authorization` header (`Credential=<id>/<date>/…`). */
const CREDENTIAL_ID = /Credential=([^/,\s]+)\//;

/**
 * Add to `secrets` what each signed request carries of its credentials, whatever found them (the
 * environment, a profile, SSO, a role): the session token and the access key id, the values a
 * server can echo back in an error (the secret key itself is never sent). Runs in the
 * `deserialize` step, after signing, so it sees every attempt as sent.
 */
export function rememberSentCredentials(client: S3Client, secrets: string[]): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      const headers = (args.request as { headers?: Record<string, string | undefined> }).headers ?? {};
      const sent = [headers['x-amz-security-token'], CREDENTIAL_ID.exec(headers['authorization'] ?? '')?.[1]];
      for (const v of sent) if (v !== undefined && v !== '' && !secrets.includes(v)) secrets.push(v);
      return next(args);
    },
    { step: 'deserialize', name: 'kontextRememberSentCredentials' },
  );
}

export function createS3Client(settings: S3Settings, env: Env, idleTimeoutMs = S3_IDLE_TIMEOUT_MS): S3Client {
  const accessKeyId = env['AWS_ACCESS_KEY_ID'];
  const secretAccessKey = env['AWS_SECRET_ACCESS_KEY'];
  const fromEnv =
    accessKeyId && secretAccessKey
      ? { accessKeyId, secretAccessKey, sessionToken: env['AWS_SESSION_TOKEN'] }
      : undefined;
  // Null without a proxy: the SDK's own agents, as before.
  const agents = proxyAgentsFor(env, CONNECT_TIMEOUT_MS);
  return withoutNodeVersionWarning(
    () =>
      new S3Client({
        // Undefined lets the SDK take the region from the profile's shared config.
        region: settings.region ?? env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'],
        // The one the hosted-URL records are fingerprinted with (s3.ts), the environment's too.
        endpoint: endpointFor(settings, env),
        forcePathStyle: settings.forcePathStyle,
        credentials: fromEnv,
        profile: fromEnv ? undefined : (settings.profile ?? env['AWS_PROFILE']),
        // The SDK's default (CRC32 trailers, aws-chunked bodies) is not understood by every
        // S3-compatible store: some would store the chunk framing as part of the object.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        // A timed-out request fails as a `TimeoutError`: E_HOSTING_TIMEOUT (s3-errors.ts), exit 75.
        requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, socketTimeout: idleTimeoutMs, ...agents },
        maxAttempts: 3,
        logger: SILENT_LOGGER,
      }),
  );
}

/** The AWS SDK's switch for its Node-version warning (read as `"true"`). */
const NODE_WARNING_OFF = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

/**
 * Build an SDK client without its Node-version warning. On Node 20 the SDK's first client prints
 * `NodeVersionSupportWarning` (its 2027 releases need Node 22) through `process.emitWarning`: on an
 * embedder's stderr, though the library never prints (the CLI sets the switch for the process,
 * cli/launch.ts). The SDK reads the switch only as a client is built (its runtime config,
 * `emitWarningIfUnsupportedVersion` in `@aws-sdk/core`), and once per process: so it is set for
 * that moment only, unless the embedder set it (either way), and `process.env` is left as it was.
 */
function withoutNodeVersionWarning<T>(build: () => T): T {
  if (process.env[NODE_WARNING_OFF] !== undefined) return build();
  process.env[NODE_WARNING_OFF] = 'true';
  try {
    return build();
  } finally {
    delete process.env[NODE_WARNING_OFF];
  }
}
