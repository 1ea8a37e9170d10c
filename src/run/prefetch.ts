/**
 * Host local sources ahead of their nodes, so uploads overlap with remote work instead of
 * holding one of the `-j` slots (bench/hosting.bench.mjs measures the difference).
 * Each distinct source image that a running node needs is handed to the hosting strategy in
 * the background, `concurrency` at a time, in plan order (the order slots are taken). When the
 * node's own turn comes, `inputUrlFor` finds the URL recorded, or joins the upload in flight.
 * A failure here is ignored: the node hosts again in its slot and reports it there.
 * Only URLs that live at least {@link MIN_AHEAD_URL_LIFETIME_S} are made ahead: a shorter-lived
 * one (a hosting command's short `url_ttl_seconds`; presigned URLs live at least 15 min) could no
 * longer be reused when the node's turn comes, and would be made twice.
 * Nothing more is hosted once the run submits nothing more (`submitStop`: a `--shard` run whose
 * remote cache was lost): those inputs are for requests that will not be sent.
 */
import { setMaxListeners } from 'node:events';
import pLimit from 'p-limit';
import {
  DEFAULT_COMMAND_URL_TTL_SECONDS,
  DEFAULT_PRESIGN_TTL_SECONDS,
  type Hosting,
  type HostingConfig,
} from '../hosting/index.js';
import type { Store } from '../store/types.js';
import type { RunEvent } from './events.js';
import type { Prepared } from './prepare.js';

export interface Prefetch {
  /**
   * Feed the run's events: after a failure that stops the run, nothing more is uploaded (not after
   * the failure of a node in `Prepared.stopped`, which does not stop the run).
   */
  observe(event: RunEvent): void;
  /**
   * Start nothing new, abort uploads under way, and wait for them to settle. `keep`: uploads
   * of the images it names go on (a watch cycle hands them to the next one); a later call can
   * still abort them.
   */
  stop(keep?: (sha256: string) => boolean): Promise<void>;
}

/** Ten minutes: a hosted URL stays reusable for at least 5 of them (freshness.ts). */
export const MIN_AHEAD_URL_LIFETIME_S = 600;

/** How long the URLs of `config` live, in seconds (`Infinity`: they do not expire). */
export function urlLifetimeSeconds(config: HostingConfig): number {
  switch (config.mode) {
    case 'inline':
      return Infinity;
    case 's3':
      return config.public_base_url !== undefined
        ? Infinity
        : (config.presign_ttl_seconds ?? DEFAULT_PRESIGN_TTL_SECONDS);
    case 'command':
      return config.url_ttl_seconds ?? DEFAULT_COMMAND_URL_TTL_SECONDS;
  }
}

export interface PrefetchDeps {
  readonly hosting: Hosting | null;
  /** The settings `hosting` was built from. */
  readonly config: HostingConfig | null;
  readonly store: Store;
  /** How many images are hosted at once (the run's `-j`). */
  readonly concurrency: number;
  /** The run's interrupt (Ctrl-C). */
  readonly signal?: AbortSignal | undefined;
  /**
   * The run submits nothing more once this fires (`RunDeps.submitStop`: a `--shard` run whose
   * remote cache was lost, at a look-up or an upload): nothing more is hosted, uploads under way abort.
   */
  readonly submitStop?: AbortSignal | undefined;
  readonly keepGoing?: boolean | undefined;
}

const NOTHING: Prefetch = { observe: () => undefined, stop: async () => undefined };

export function prefetchInputs(prepared: Prepared, deps: PrefetchDeps): Prefetch {
  const { hosting, store, config } = deps;
  // Inline "hosting" builds a data URI in memory: nothing to gain by doing it early.
  if (!hosting || !config || config.mode === 'inline' || urlLifetimeSeconds(config) < MIN_AHEAD_URL_LIFETIME_S)
    return NOTHING;
  const stopper = new AbortController();
  const stops = [deps.signal, deps.submitStop].filter((s) => s !== undefined);
  const signal = AbortSignal.any([...stops, stopper.signal]);
  // Every upload under way listens on it (streams, the SDK): more than Node's default of 10.
  setMaxListeners(0, signal);
  const limit = pLimit(Math.max(1, deps.concurrency));
  /** Uploads under way, each abortable on its own (see `stop`'s `keep`). */
  const underway = new Map<string, AbortController>();
  let stopped = false;
  const tasks = aheadImages(prepared).map(({ path, sha256 }) =>
    limit(async () => {
      if (signal.aborted || stopped) return;
      const own = new AbortController();
      const forward = (): void => own.abort(signal.reason);
      signal.addEventListener('abort', forward, { once: true });
      underway.set(sha256, own);
      try {
        const { bytes } = await store.hashSource(path);
        await hosting.urlFor({ path, sha256, bytes }, { signal: own.signal });
      } finally {
        underway.delete(sha256);
        signal.removeEventListener('abort', forward);
      }
    }).catch(() => undefined),
  );
  return {
    observe(event) {
      // A node the run stops before it submits (a dead run's intent, an output kontext did not
      // write) does not stop the others, so it does not abort their uploads (which they may have joined).
      if (event.type === 'node-failed' && !deps.keepGoing && prepared.stopped?.has(event.node) !== true)
        stopper.abort();
    },
    async stop(keep) {
      stopped = true;
      if (!keep) stopper.abort();
      for (const [sha256, own] of underway) if (keep && !keep(sha256)) own.abort();
      await Promise.all(tasks);
    },
  };
}

/**
 * The distinct local source images the nodes that run need, in plan order: what is hosted ahead.
 * Not those of nodes the run stops before they submit (`Prepared.stopped`: a dead run's intent,
 * an output kontext did not write): nothing of theirs is uploaded.
 */
export function aheadImages(prepared: Prepared): { readonly path: string; readonly sha256: string }[] {
  const seen = new Set<string>();
  const images: { readonly path: string; readonly sha256: string }[] = [];
  for (const s of prepared.states.values()) {
    const input = s.node.input;
    if (
      s.status !== 'run' ||
      prepared.stopped?.has(s.node.id) === true ||
      input.kind !== 'source' ||
      input.path === undefined ||
      s.inputSha === null ||
      seen.has(s.inputSha)
    )
      continue;
    seen.add(s.inputSha);
    images.push({ path: input.path, sha256: s.inputSha });
  }
  return images;
}
