/**
 * Reuse for remote strategies (s3, command): a record in the cache dir stands for an image
 * hosted before: a command's with its URL, handed out again until shortly before it expires; an
 * S3 one with no URL, a new one signed at each reuse (`urlAgain`: no presigned URL stays on
 * disk). Once a record is an hour old it is reused only after the strategy confirms its object is
 * still there (s3's HEAD); otherwise the strategy hosts the image and a new record is written.
 * Concurrent requests for the same bytes share one upload. Either way the file must be a whole
 * image first (guard.ts), and it is hosted with the media type of its bytes; a record
 * made with another label (or none: an older kontext named the type by the file's extension) is
 * hosted again once and recorded with the right one. A record whose URL the API could not fetch
 * is dropped (`forget`), so it is not handed out again until it expires.
 */
import { rm } from 'node:fs/promises';
import { HostingError } from './errors.js';
import { isHostedUrlReusable } from './freshness.js';
import { assertHostableImageFile, assertHostablePath, previewMediaType, previewSize } from './guard.js';
import { reusePreview } from './preview.js';
import type { HostableImage, HostedUrl, Hosting, HostingPreview, LabelledImage, UrlForOptions } from './types.js';
import { fingerprint, readRecord, recordPath, writeRecord, type UrlRecord } from './url-cache.js';
import type { Runtime } from '../runtime.js';

/** What a strategy returns after hosting: a URL and whether bytes were sent. */
export type HostResult = Omit<HostedUrl, 'via'>;

/** A way to put bytes somewhere fetchable. The cache, path checks and reuse live around it. */
export interface RemoteStrategy {
  readonly mode: 's3' | 'command';
  /** The settings that decide where URLs point (bucket, endpoint, prefix, command...). */
  readonly identity: Readonly<Record<string, unknown>>;
  /**
   * More of the identity, looked at before each use since it may change while the hosting lives
   * (a command's folder, program and the content of its script: command-identity.ts).
   */
  identityNow?(): Promise<Readonly<Record<string, unknown>>>;
  host(image: LabelledImage, signal: AbortSignal | undefined): Promise<HostResult>;
  /**
   * Whether the bytes behind a URL recorded {@link RECHECK_AFTER_MS} ago or more are still there
   * (s3: a HEAD; a lifecycle rule or a clean-up may have deleted the object since). Absent: the
   * record is trusted until it expires (a command's URL cannot be checked).
   */
  stillHosted?(image: LabelledImage, signal: AbortSignal | undefined): Promise<boolean>;
  /**
   * A URL for bytes hosted before, made without a network call (s3: presigned, or
   * `public_base_url` + key). With it, records keep no URL and one is made at each reuse: a
   * presigned URL carries the access key id and, with temporary credentials, the session token,
   * which must not stay in the cache (walk-o). A record written with a URL is not reused then: it
   * is hosted again (a HEAD finds the object) and rewritten without one.
   */
  urlAgain?(image: LabelledImage): Promise<Pick<HostResult, 'url' | 'expiresAt'>>;
  /** The dry-run line when no fresh URL is recorded; `hostedBefore`: an expired one is. */
  preview(image: HostableImage, hostedBefore: boolean): HostingPreview;
  close?(): Promise<void>;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * A recorded URL this old is checked (`stillHosted`) before it is handed out, once per process:
 * a provider paid to fetch a deleted object fails, and the retry is paid again. A record
 * younger than this is used without a network call.
 */
const RECHECK_AFTER_MS = 60 * 60_000;

/** The sha256 names files and objects, so it must be exactly 64 hex digits (no `../`). */
function checkedSha(image: HostableImage): string {
  const sha = image.sha256.toLowerCase();
  if (SHA256_HEX.test(sha)) return sha;
  throw new HostingError('E_HOSTING_INPUT_REFUSED', `refusing to host ${image.path}: sha256 is not 64 hex digits`, {
    hint: 'this is a bug in the caller: pass the hex sha256 of the file',
  });
}

export function createCachedHosting(
  strategy: RemoteStrategy,
  deps: { readonly rt: Runtime; readonly cacheDir: string; readonly roots: readonly string[] },
): Hosting {
  const { rt, cacheDir, roots } = deps;
  const fixedId = fingerprint({ mode: strategy.mode, ...strategy.identity });
  /** The records' folder id now: {@link RemoteStrategy.identityNow} may have changed. */
  async function configId(): Promise<string> {
    const now = await strategy.identityNow?.();
    return now === undefined ? fixedId : fingerprint({ mode: strategy.mode, ...strategy.identity, ...now });
  }
  const inflight = new Map<string, Promise<HostedUrl>>();
  /**
   * Old records checked by `stillHosted` in this process, and when (a check under way is shared):
   * a confirmation counts for {@link RECHECK_AFTER_MS}, so a watch session of days notices an
   * object a lifecycle rule deleted meanwhile before a provider is paid to fetch it (review-v).
   */
  const checked = new Map<string, { readonly at: number; readonly there: Promise<boolean> }>();

  /** Whether a reusable record may be handed out: young, or its object confirmed still there lately. */
  async function stillThere(image: LabelledImage, sha: string, rec: UrlRecord, signal?: AbortSignal): Promise<boolean> {
    const check = strategy.stillHosted?.bind(strategy);
    const now = rt.now();
    if (!check || now - rec.hostedAt < RECHECK_AFTER_MS) return true;
    let known = checked.get(sha);
    if (!known || !(now >= known.at && now - known.at < RECHECK_AFTER_MS)) {
      known = { at: now, there: check(image, signal) };
      checked.set(sha, known);
      const mine = known;
      // Gone (it is hosted again and recorded anew) or failed: the next look checks again.
      const forget = (): void => {
        if (checked.get(sha) === mine) checked.delete(sha);
      };
      mine.there.then((yes) => yes || forget()).catch(forget);
    }
    return known.there;
  }

  async function hostAndRecord(
    image: LabelledImage,
    file: string,
    signal: AbortSignal | undefined,
  ): Promise<HostedUrl> {
    const hostedAt = rt.now();
    const result = await strategy.host(image, signal);
    const url = strategy.urlAgain ? null : result.url;
    await writeRecord(file, {
      url,
      hostedAt,
      expiresAt: url === null ? null : result.expiresAt,
      mediaType: image.mediaType,
      verified: result.verified,
    });
    return { ...result, via: strategy.mode };
  }

  /** Whether `rec` may stand for `image` now: same label, the strategy's kind of record, not expiring. */
  function reusable(rec: UrlRecord | null, mediaType: string | null): rec is UrlRecord {
    return (
      rec !== null &&
      rec.mediaType === mediaType &&
      (rec.url === null) === (strategy.urlAgain !== undefined) &&
      isHostedUrlReusable(rec.hostedAt, rec.expiresAt, rt.now())
    );
  }

  return {
    mode: strategy.mode,
    async urlFor(image: HostableImage, options: UrlForOptions = {}): Promise<HostedUrl> {
      assertHostablePath(image.path, roots);
      const sha = checkedSha(image);
      // Before a recorded URL is handed out too: the provider would be paid to fetch a non-image.
      const labelled = { ...image, mediaType: await assertHostableImageFile(image.path) };
      const file = recordPath(cacheDir, strategy.mode, await configId(), sha);
      if (!options.forceRefresh) {
        const rec = await readRecord(file);
        if (reusable(rec, labelled.mediaType) && (await stillThere(labelled, sha, rec, options.signal))) {
          const again = rec.url === null ? await strategy.urlAgain?.(labelled) : undefined;
          const { url, expiresAt } = again ?? { url: rec.url ?? '', expiresAt: rec.expiresAt };
          return { url, expiresAt, uploaded: false, bytesUploaded: 0, via: 'cache' };
        }
      }
      let pending = inflight.get(file);
      if (!pending) {
        pending = hostAndRecord(labelled, file, options.signal).finally(() => inflight.delete(file));
        inflight.set(file, pending);
      }
      return pending;
    },
    async describe(image: HostableImage): Promise<HostingPreview> {
      assertHostablePath(image.path, roots);
      const found = await readRecord(recordPath(cacheDir, strategy.mode, await configId(), checkedSha(image)));
      // A record made under another label is not the URL the run would use: it hosts anew.
      const label = await previewMediaType(image.path);
      const rec = label !== null && found?.mediaType === label ? found : null;
      if (reusable(rec, label)) return reusePreview(rec.url, rec.expiresAt, rt.now());
      return strategy.preview({ ...image, bytes: await previewSize(image) }, rec !== null);
    },
    async forget(sha256: string): Promise<void> {
      const sha = sha256.toLowerCase();
      if (!SHA256_HEX.test(sha)) return;
      checked.delete(sha);
      await rm(recordPath(cacheDir, strategy.mode, await configId(), sha), { force: true });
    },
    async close(): Promise<void> {
      await strategy.close?.();
    },
  };
}
