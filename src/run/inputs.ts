/**
 * How a node's input reaches the API as a URL:
 * - a remote source URL is passed as-is;
 * - the output of an upstream node from this run (or a cached one whose URL is still fresh)
 *   passes the provider's own URL on, with no re-upload;
 * - local files and stale cached outputs go through the hosting strategy.
 * A URL on loopback or a private network goes only to a provider whose API is local too
 * (`InputDeps.apiIsLocal`, asked for each node's own provider): another node's upstream
 * output URL is hosted instead; a source URL or a hosted one (a URL record made before the rule
 * included) is refused, before anything is paid.
 */
import { stat } from 'node:fs/promises';
import { providerTraits } from '../providers/session.js';
import { isRemoteUrlFresh, REMOTE_OUTPUT_REUSE_MS, type Hosting, type HostedUrl } from '../hosting/index.js';
import { KontextError, ExitCode } from '../errors.js';
import { refusePrivateUrl } from '../hosting/private-url.js';
import { privateUrlKind } from '../util/private-host.js';
import type { PlanNode } from '../plan/types.js';
import type { RunRecord, Store } from '../store/types.js';

/** What is known about a finished upstream node's output. */
export interface UpstreamOutput {
  readonly sha256: string;
  readonly bytes: number;
  readonly mediaType: string;
  readonly ext: string;
  /** The provider's output URL and when it was obtained (epoch ms). */
  readonly url: string | null;
  readonly urlAt: number | null;
}

/**
 * A cached result as an upstream output: its blob's size, and the provider URL only when URLs
 * outlive the run that got them (one that died with an earlier run is not passed on: the bytes
 * get hosted instead).
 */
export async function upstreamFromRecord(
  record: RunRecord,
  p: { readonly blobPath: string; readonly providerName: string },
): Promise<UpstreamOutput> {
  const bytes = (await stat(p.blobPath)).size;
  const url = outputUrlsOutliveRun(p.providerName) ? (record.output_url ?? null) : null;
  return {
    sha256: record.output_sha256,
    bytes,
    mediaType: record.media_type,
    ext: record.ext,
    url,
    urlAt: url === null ? null : Date.parse(record.finished_at),
  };
}

/** Whether a cached output's provider URL can outlive the run that got it (see ProviderTraits). */
export function outputUrlsOutliveRun(providerName: string): boolean {
  return providerTraits(providerName).outputUrlsOutliveRun;
}

export interface InputDeps {
  readonly store: Store;
  readonly hosting: Hosting | null;
  readonly now: () => number;
  /** The node's provider (its pass's own, else the run's). */
  readonly providerName: string;
  /** Whether a provider's API is local (providers/api-base.ts): it can fetch a loopback or private URL. */
  readonly apiIsLocal: (providerName: string) => boolean;
}

export interface ResolvedInput {
  readonly url: string;
  /** `reuse` (source URL or fresh remote output), or the hosting result. */
  readonly via: 'source-url' | 'remote-output' | HostedUrl['via'];
  readonly uploadedBytes: number;
  /** When a hosted URL stops working (epoch ms); `null`: never, or not known. */
  readonly expiresAt: number | null;
}

export async function inputUrlFor(
  node: PlanNode,
  inputSha: string,
  upstream: UpstreamOutput | null,
  deps: InputDeps,
  options: { readonly signal?: AbortSignal | undefined; readonly forceRefresh?: boolean } = {},
): Promise<ResolvedInput> {
  const asIs = urlAsIs(node, upstream, deps, options.forceRefresh ?? false);
  if (asIs) return asIs;
  const hosting = requireHosting(node, deps.hosting);
  const image =
    node.input.kind === 'source' && node.input.path !== undefined
      ? {
          path: node.input.path,
          sha256: inputSha,
          bytes: (await deps.store.hashSource(node.input.path)).bytes,
        }
      : {
          path: deps.store.blobPath(inputSha),
          sha256: inputSha,
          bytes: upstream?.bytes ?? 0,
        };
  const hosted = await hosting.urlFor(image, { signal: options.signal, forceRefresh: options.forceRefresh ?? false });
  if (!deps.apiIsLocal(deps.providerName))
    refusePrivateUrl(hosted.url, hosted.via === 'cache' ? 'a hosted URL record holds' : 'hosting gave');
  return { url: hosted.url, via: hosted.via, uploadedBytes: hosted.bytesUploaded, expiresAt: hosted.expiresAt };
}

/**
 * The API could not fetch the input URL hosting gave (`via`): the record of those bytes is dropped,
 * so the next run (or a later re-host) hosts them again instead of reusing the URL that failed
 * and paying for it again until it expires (walk-af 4). `null`: not known how the URL was made (a
 * request of an earlier run re-attached to). Best effort: a record left behind is as before.
 */
export async function forgetHostedInput(
  inputSha: string,
  via: ResolvedInput['via'] | null,
  hosting: Hosting | null,
): Promise<void> {
  if (via === 'source-url' || via === 'remote-output' || via === 'inline') return;
  await hosting?.forget?.(inputSha).catch(() => undefined);
}

/** A URL that needs no hosting: the source's own URL, or the upstream output's remote URL while fresh. */
function urlAsIs(
  node: PlanNode,
  upstream: UpstreamOutput | null,
  deps: InputDeps,
  forceRefresh: boolean,
): ResolvedInput | null {
  if (node.input.kind === 'source' && node.input.url !== undefined) {
    if (!deps.apiIsLocal(deps.providerName)) refusePrivateUrl(node.input.url, 'the source is');
    return { url: node.input.url, via: 'source-url', uploadedBytes: 0, expiresAt: null };
  }
  if (
    upstream?.url &&
    (deps.apiIsLocal(deps.providerName) || privateUrlKind(upstream.url) === null) &&
    upstream.urlAt !== null &&
    !forceRefresh &&
    isRemoteUrlFresh(upstream.urlAt, deps.now(), REMOTE_OUTPUT_REUSE_MS)
  ) {
    return { url: upstream.url, via: 'remote-output', uploadedBytes: 0, expiresAt: null };
  }
  return null;
}

/**
 * The input URL ahead of the node's -j slot, when making it uploads nothing (a URL as is, or an
 * inline data URI); `null` when S3 or a command must make it: such URLs may be short-lived, so
 * they are made in the slot (prefetch.ts uploads long-lived ones early anyway).
 */
export async function inputUrlAhead(
  node: PlanNode,
  inputSha: string,
  upstream: UpstreamOutput | null,
  deps: InputDeps,
): Promise<ResolvedInput | null> {
  const asIs = urlAsIs(node, upstream, deps, false);
  if (asIs) return asIs;
  return deps.hosting?.mode === 'inline' ? inputUrlFor(node, inputSha, upstream, deps) : null;
}

function requireHosting(node: PlanNode, hosting: Hosting | null): Hosting {
  if (hosting) return hosting;
  const what =
    node.input.kind === 'source'
      ? `source "${node.input.source}" (${node.input.path ?? ''})`
      : `the cached output of ${node.input.id}`;
  throw new KontextError(
    'E_NO_HOSTING',
    `${node.id}: ${what} is a local file, and the RunComfy API can only fetch URLs`,
    {
      exitCode: ExitCode.DATA_ERR,
      hint:
        'add a `hosting:` block to the recipe (mode: s3 | command | inline) or pass ' +
        '--hosting inline|s3|command; see README "Hosting your images"',
    },
  );
}
