/**
 * `s3`: upload to an S3-compatible bucket (AWS S3, Cloudflare R2, MinIO...) once per distinct
 * image — HEAD before PUT — and hand out either `public_base_url` + key (never expires) or a
 * presigned GET URL (expires after `presign_ttl_seconds`). The client is built lazily so a
 * dry run never resolves credentials.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { Runtime } from '../runtime.js';
import type { HostResult, RemoteStrategy } from './cached-hosting.js';
import { hostableFileSize } from './guard.js';
import { withSnapshot } from './snapshot.js';
import { refusePrivateUrl } from './private-url.js';
import { rehostPreview, uploadPreview } from './preview.js';
import type { ExpectedObject, ObjectRef } from './s3-ops.js';
import {
  endpointFor,
  ignoresConfiguredEndpoints,
  objectKey,
  publicUrlFor,
  s3Settings,
  type S3HostingConfig,
  type S3Settings,
} from './s3-settings.js';
import type { HostableImage, HostingPreview, LabelledImage } from './types.js';
import { awsSecretsIn } from '../util/env-secrets.js';

/**
 * The settings that decide where URLs point; a change means different records. The endpoint is
 * the one the SDK is given, the environment's too (walk-af 5: a recipe without `endpoint:` run
 * with another `AWS_ENDPOINT_URL_S3` reused the other bucket's records, the API could not fetch
 * the URL, and the image was uploaded and paid again). With none, the SDK may still take a
 * profile's `endpoint_url` from the shared config (the profile `AWS_PROFILE` names): that name.
 */
function identityOf(s: S3Settings, env: Readonly<Record<string, string | undefined>>): Record<string, unknown> {
  const profile = ignoresConfiguredEndpoints(env) ? undefined : env['AWS_PROFILE'];
  const profileEndpoint = profile ? `endpoint_url of profile ${profile}` : null;
  return {
    bucket: s.bucket,
    prefix: s.prefix,
    region: s.region ?? null,
    endpoint: endpointFor(s, env) ?? profileEndpoint,
    force_path_style: s.forcePathStyle,
    public_base_url: s.publicBaseUrl ?? null,
    profile: s.profile ?? null,
  };
}

/** What the image's object must hold: its size now (a typed error for a file gone) and sha256. */
async function expectedObject(image: LabelledImage): Promise<ExpectedObject> {
  return { path: image.path, bytes: await hostableFileSize(image.path), sha256: image.sha256 };
}

/** The AWS SDK takes a few hundred ms to import: load it on the first upload, not at start-up. */
type SdkModules = { readonly client: typeof import('./s3-client.js'); readonly ops: typeof import('./s3-ops.js') };

export function createS3Strategy(
  config: S3HostingConfig,
  rt: Runtime,
  options: { readonly allowPrivateUrls?: boolean; readonly idleTimeoutMs?: number | undefined } = {},
): RemoteStrategy {
  const settings = s3Settings(config);
  let client: S3Client | undefined;
  /** Scrubbed from messages: the environment's keys, and what the client's requests carried. */
  let secrets: string[] = [];
  let sdk: Promise<SdkModules> | undefined;
  const loadSdk = (): Promise<SdkModules> =>
    (sdk ??= Promise.all([import('./s3-client.js'), import('./s3-ops.js')]).then(([c, o]) => ({ client: c, ops: o })));

  async function refFor(image: LabelledImage): Promise<ObjectRef> {
    const { client: c } = await loadSdk();
    if (client === undefined) {
      client = c.createS3Client(settings, rt.env, options.idleTimeoutMs);
      secrets = awsSecretsIn(rt.env);
      c.rememberSentCredentials(client, secrets);
    }
    return { client, bucket: settings.bucket, key: objectKey(settings.prefix, image.sha256, image.mediaType), secrets };
  }

  async function urlOf(ref: ObjectRef): Promise<{ url: string; expiresAt: number | null }> {
    if (settings.publicBaseUrl !== undefined)
      return { url: publicUrlFor(settings.publicBaseUrl, ref.key), expiresAt: null };
    const now = rt.now();
    const url = await (await loadSdk()).ops.presignGet(ref, settings.presignTtlSeconds, now);
    return { url, expiresAt: now + settings.presignTtlSeconds * 1000 };
  }

  async function checkedUrlOf(ref: ObjectRef): Promise<{ url: string; expiresAt: number | null }> {
    const hosted = await urlOf(ref);
    // A bucket on localhost (MinIO) or a LAN CDN: the upload cost nothing, a submit would.
    if (options.allowPrivateUrls !== true) refusePrivateUrl(hosted.url, 'S3 hosting gives');
    return hosted;
  }

  return {
    mode: 's3',
    identity: identityOf(settings, rt.env),
    async host(image: LabelledImage, signal: AbortSignal | undefined): Promise<HostResult> {
      const ref = await refFor(image);
      const { ops } = await loadSdk();
      let bytesUploaded = 0;
      const present = await ops.objectExists(ref, await expectedObject(image), signal);
      if (!present) {
        // A checked private copy is sent (snapshot.ts): the file read again for the upload, one
        // swapped meanwhile put a non-image (or another image) under this sha256 for good (walk-p).
        bytesUploaded = await withSnapshot(image, signal, (copy) =>
          ops.putObject(ref, { ...image, ...copy }, rt, signal),
        );
      }
      return { ...(await checkedUrlOf(ref)), uploaded: !present, bytesUploaded };
    },
    // Records keep no URL (a presigned one holds the credentials' id and session token): signed anew.
    async urlAgain(image: LabelledImage): Promise<{ url: string; expiresAt: number | null }> {
      return checkedUrlOf(await refFor(image));
    },
    async stillHosted(image: LabelledImage, signal: AbortSignal | undefined): Promise<boolean> {
      const ref = await refFor(image);
      const { ops } = await loadSdk();
      // A failed HEAD says nothing about the object: the record is used, as before this check.
      return ops.objectExists(ref, await expectedObject(image), signal).catch((e: unknown) => {
        if (signal?.aborted) throw e;
        return true;
      });
    },
    preview(image: HostableImage, hostedBefore: boolean): HostingPreview {
      if (!hostedBefore) return uploadPreview(image.bytes, 'unless already in the bucket');
      return rehostPreview(image.bytes, 'already uploaded; URL expired, will sign a new one');
    },
    async close(): Promise<void> {
      client?.destroy();
      client = undefined;
    },
  };
}
