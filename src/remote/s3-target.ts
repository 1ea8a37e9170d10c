/**
 * Where the remote cache's requests go and as whom. The endpoint is the SDK's standard
 * `AWS_ENDPOINT_URL_S3` (else `AWS_ENDPOINT_URL`; path-style), else AWS S3 in the region.
 * Keys in the environment (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`)
 * and `AWS_REGION` (or `AWS_DEFAULT_REGION`) are used as they are, without loading the AWS
 * SDK; without them the SDK loads for its standard chain (hosting/s3-client.ts: profiles, SSO,
 * container and instance roles, refreshed as they expire) and the profile's region.
 */
import type { RemoteLocation } from './location.js';
import type { S3Target } from './s3-http.js';
import type { Credentials } from './sigv4.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The target, and what to close with it (the SDK client holding the chain, if one was made). */
export async function resolveTarget(
  location: RemoteLocation,
  env: Env,
): Promise<{ readonly target: S3Target; readonly close: () => void }> {
  const endpoint = env['AWS_ENDPOINT_URL_S3'] || env['AWS_ENDPOINT_URL'] || undefined;
  const region = env['AWS_REGION'] || env['AWS_DEFAULT_REGION'] || (endpoint ? 'us-east-1' : undefined);
  const id = env['AWS_ACCESS_KEY_ID'];
  const secret = env['AWS_SECRET_ACCESS_KEY'];
  const base = { endpoint, bucket: location.bucket, forcePathStyle: endpoint !== undefined };
  if (id && secret && region) {
    const keys: Credentials = { accessKeyId: id, secretAccessKey: secret, sessionToken: env['AWS_SESSION_TOKEN'] };
    return { target: { ...base, region, credentials: async () => keys }, close: () => undefined };
  }
  const { createS3Client } = await import('../hosting/s3-client.js');
  const sdk = createS3Client(
    {
      bucket: location.bucket,
      prefix: location.prefix,
      region,
      endpoint,
      forcePathStyle: endpoint !== undefined,
      publicBaseUrl: undefined,
      presignTtlSeconds: 3600,
      profile: undefined,
    },
    env,
  );
  try {
    const resolved = await sdk.config.region();
    if (!resolved) throw new Error('Region is missing: set AWS_REGION');
    return {
      target: { ...base, region: resolved, credentials: () => sdk.config.credentials() },
      close: () => sdk.destroy(),
    };
  } catch (e) {
    sdk.destroy();
    throw e;
  }
}
