/**
 * What a run needs open, opened in one place and closed by one `close()`: the store (per cache
 * dir), the user config, the hosting chosen for the run (per configuration) and the provider
 * session (opened only when there is work, so a fully cached run never reads a token or starts
 * the emulator). `runRecipe`, `runEdit` and watch mode all run through it; watch mode keeps one
 * context for every cycle, so the session, stores and hostings are reused, and a hosting the
 * recipe no longer uses is closed once no run holds it (a cycle must not close the hosting an
 * earlier cycle's request is still uploading through).
 */
import { join } from 'node:path';
import type { Hosting } from '../hosting/index.js';
import { apiIsLocal } from '../providers/api-base.js';
import { lazySession, type LazySession } from '../providers/lazy.js';
import { SessionPool } from '../providers/session-pool.js';
import type { ProviderSession } from '../providers/session.js';
import type { Provider } from '../providers/types.js';
import { loadUserConfig, type UserConfig } from '../recipe/index.js';
import { chooseHosting } from './choose-hosting.js';
import { ContextHostings } from './context-hostings.js';
import type { HostingConfig, ProviderName } from '../recipe/types.js';
import { RemotePool } from '../remote/index.js';
import type { RemoteBounds } from '../remote/bucket.js';
import type { RemoteShortfall, RunUploads } from '../remote/pool.js';
import type { Runtime } from '../runtime.js';
import { type CacheDirPlace, placedCacheDir, resolveCacheDir } from '../store/index.js';
import type { Store } from '../store/types.js';
import { BASE_WRITE_GUARD, type WriteGuard } from '../store/write-guard.js';
import type { RunEvent } from './events.js';
import type { RunCoordination, RunDeps } from './options.js';
import { type SourceLocation, UsageError } from '../errors.js';
import { checkRunnable, providersCalled } from './node-provider.js';
import { checkHostedSources, checkHosting, checkInlineSources, enforceMaxCost } from './preflight.js';
import { FLAG_LIMIT, type CostLimitSource } from './cost-limit.js';
import { prefetchInputs, type Prefetch, type PrefetchDeps } from './prefetch.js';
import { migrateProjectCache, openStoreOrStandIn, type OpenedStore } from './open-cache.js';
import { checkOutputFolders } from './output-folders.js';
import type { Prepared } from './prepare.js';
import type { ShardSpec } from './shard.js';

/** The flags that shape what a run opens and checks. */
export interface RunContextOptions {
  /** `--provider`: overrides the recipe's. */
  readonly provider?: ProviderName | undefined;
  /** `--hosting`: picks a mode (see chooseHosting). */
  readonly hosting?: HostingConfig['mode'] | undefined;
  /** `--cache-dir` (see cacheDirFor). */
  readonly cacheDir?: string | undefined;
  /** Per-request overall deadline, for the sessions the context opens. */
  readonly deadlineMs?: number | undefined;
  /** @deprecated the old name of `trustRecipeHosting` (`--trust-hosting-command`); still honoured. */
  readonly trustHostingCommand?: boolean | undefined;
  /** Use the recipe's own hosting destination (command, S3 bucket/endpoint) (`--trust-recipe-hosting`). */
  readonly trustRecipeHosting?: boolean | undefined;
  /** `--max-cost`: the limit, in USD, for this run and `maxCostSpentUsd` together. */
  readonly maxCostUsd?: number | undefined;
  /** How messages name the limit (default `--max-cost`). */
  readonly maxCostFrom?: CostLimitSource | undefined;
  /**
   * What earlier runs under the same `--max-cost` spent (a `kontext run` of several recipes: the
   * recipes before this one); `null`: unknown (a price not known), so nothing billable may start.
   */
  readonly maxCostSpentUsd?: number | null | undefined;
  /** The run's interrupt (Ctrl-C). */
  readonly signal?: AbortSignal | undefined;
  /** How long `--max-cost` and `--dry-run` wait for one model's price (default 10 s); tests shorten it. */
  readonly priceReadMs?: number | undefined;
  /** `-j`: also how many images are hosted ahead at once. */
  readonly jobs?: number | undefined;
  readonly keepGoing?: boolean | undefined;
  /** `--no-remote`: no remote cache for this run. */
  readonly noRemote?: boolean | undefined;
  /** `--shard i/n`: a remote lost stops the run's submits (shard.ts), and its warning says so. */
  readonly shard?: ShardSpec | undefined;
}

export interface RunContextDeps {
  readonly rt: Runtime;
  /** Where the context's own events go (a session's warnings). */
  readonly onEvent: (event: RunEvent) => void;
  /**
   * An open session (the caller closes it): it serves only the nodes on its own provider
   * (`session.name`); a run needing any other provider is refused (sessionMismatch, exit 64).
   */
  readonly session?: ProviderSession | undefined;
  /** Sessions shared beyond this context (the caller closes them); otherwise the context keeps its own. */
  readonly sessions?: SessionPool | undefined;
  /** The remote cache's time bounds, when shorter than the product's (tests that check one fires). */
  readonly remoteBounds?: RemoteBounds | undefined;
  /** S3 hosting's idle timeout, when shorter than the product's 60 s (tests that check it fires). */
  readonly s3IdleTimeoutMs?: number | undefined;
}

/** What a run is about: the recipe's (or the edit's) place and choices. */
export interface RunTarget {
  /** The recipe's provider (`--provider` wins). */
  readonly provider: ProviderName;
  readonly projectRoot: string;
  /** The recipe's `hosting:` block, if any. */
  readonly hosting?: HostingConfig | undefined;
  /** Folders besides the project root whose files the hosting may read. */
  readonly extraRoots?: readonly string[] | undefined;
  /** How messages name the recipe (the untrusted hosting command). */
  readonly recipeFile: string;
  /** Where the recipe's `hosting:` fields are written: an untrusted one is reported at its line:col. */
  readonly hostingAt?: Readonly<Record<string, SourceLocation>> | undefined;
  /** Where each source is written (by name): a local source hosting refuses is reported there. */
  readonly sourcesAt?: Readonly<Record<string, SourceLocation>> | undefined;
  /** The recipe's `cache.remote` (src/remote decides which remote is used, and for what). */
  readonly remote?: string | undefined;
  /** The recipe's out folder, which the cache dir may not hold. */
  readonly outDir?: string | undefined;
  /** A one-off edit (`kontext edit`): there is no recipe for a hint to name. */
  readonly edit?: boolean | undefined;
}

/** One run's share of the context. */
export interface RunScope {
  readonly providerName: ProviderName;
  readonly store: Store;
  /** An earlier run's unsent results (src/remote/pending.ts), a shard's local hits; `null`: no remote. */
  readonly uploads: RunUploads | null;
  readonly user: UserConfig;
  readonly hosting: Hosting | null;
  /** The settings `hosting` was built from (how long its URLs live decides what is hosted ahead). */
  readonly hostingConfig: HostingConfig | null;
  /** The provider; the session behind it opens on first use. */
  readonly provider: Provider;
  /** The provider of nodes whose pass names another; its session opens on first use. */
  readonly providerFor: (name: string) => Provider;
  /**
   * The checks before the first request, in order: hosting available, hosting command trusted,
   * then (only when there is work) the session opened, so a missing token fails before anything
   * is submitted, `--max-cost`, and the files the run writes checked by `guard` (the one its
   * writes use), their folders made and tried (output-folders.ts; `dryRun`: removed again). Throws.
   */
  preflight(prepared: Prepared, how?: { readonly dryRun?: boolean; readonly guard?: WriteGuard }): Promise<void>;
  /**
   * Host the run's local sources ahead of the `-j` slots, in the background. `submitStop`: the
   * run submits nothing more once it fires (a `--shard` run's remote lost), so nothing more is hosted.
   */
  prefetch(prepared: Prepared, submitStop?: AbortSignal): Prefetch;
  /** What `executePlan` needs. `lockPath: null`: no lock (a one-off edit). */
  runDeps(p: {
    readonly lockPath: string | null;
    readonly onEvent: (event: RunEvent) => void;
    readonly coordination?: RunCoordination | undefined;
    /** What the run may not overwrite (see store/safe-write.ts). */
    readonly writeGuard?: WriteGuard | undefined;
    /** A one-off edit's way to a paid result it could not write (RunDeps.paidHint). */
    readonly paidHint?: RunDeps['paidHint'];
  }): RunDeps;
  /** Keep the hosting open until `run` settles (even if a later scope stops using it). */
  hold(run: Promise<unknown>): void;
}

export class RunContext {
  readonly #stores = new Map<string, Promise<OpenedStore>>();
  readonly #hostings: ContextHostings;
  readonly #warned = new Set<ProviderName>();
  readonly #migrated = new Set<string>();
  /** The sessions this context opened itself (closed with it). */
  readonly #ownSessions: SessionPool | null = null;
  readonly #open: (name: ProviderName) => Promise<ProviderSession>;
  readonly #remotes: RemotePool;
  #shortfall: readonly RemoteShortfall[] = [];
  #closed = false;

  constructor(
    readonly deps: RunContextDeps,
    readonly options: RunContextOptions,
  ) {
    const { session, sessions } = deps;
    this.#hostings = new ContextHostings(
      deps.rt,
      (place) => apiIsLocal(options.provider ?? (place.provider as ProviderName), deps.rt),
      deps.s3IdleTimeoutMs,
      (message) => deps.onEvent({ type: 'warning', t: 0, message }),
    );
    this.#remotes = new RemotePool({
      rt: deps.rt,
      warn: (message) => deps.onEvent({ type: 'warning', t: 0, message }),
      notice: (message) => deps.onEvent({ type: 'notice', t: 0, message }),
      signal: options.signal,
      bounds: deps.remoteBounds,
      lostStopsSubmits: options.shard !== undefined,
    });
    if (session)
      this.#open = async (name) => {
        if (name !== session.name) throw sessionMismatch(session.name, name);
        return session;
      };
    else if (sessions) this.#open = (name) => sessions.get(name);
    else {
      const cacheDir = resolveCacheDir({ flag: options.cacheDir, env: deps.rt.env, cwd: deps.rt.cwd });
      const pollTimesDir = join(cacheDir, 'poll-times');
      const own = new SessionPool(deps.rt, { deadlineMs: options.deadlineMs, pollTimesDir });
      this.#ownSessions = own;
      this.#open = (name) => own.get(name);
    }
  }

  /** Open (or reuse) what a run of `target` needs. */
  async scope(target: RunTarget): Promise<RunScope> {
    const { rt } = this.deps;
    const { options } = this;
    const providerName = options.provider ?? target.provider;
    const opened = await this.#store(cacheDirFor(target, options.cacheDir, rt));
    const local = opened.store;
    // Never into a stand-in (an unwritable cache dir): it is deleted after the run, and the old
    // cache with it (results no lock names, journaled requests). It waits for a usable cache dir.
    if (opened.warning === null) await this.#migrate(target, local);
    const user = await loadUserConfig(rt);
    // Local store first, then the shared remote cache (src/remote), when one is configured.
    const { store, uploads } = await this.#remotes.wrap(local, {
      recipe: target.remote,
      user: user.cache?.remote,
      off: options.noRemote,
      trustRecipe: options.trustRecipeHosting === true || options.trustHostingCommand === true,
      recipeFile: target.recipeFile,
    });
    const config = chooseHosting(target.hosting, options.hosting, user, providerName, target.edit === true);
    const { hosting, hold } = this.#hostings.choose(config, store, target);
    // Fresh lazy sessions per scope: a failed open (no token) is tried again by the next one.
    const sessions = new Map<string, LazySession>();
    const sessionFor = (name: string): LazySession => {
      let s = sessions.get(name);
      if (!s) {
        s = lazySession(name, () => this.#session(name as ProviderName));
        sessions.set(name, s);
      }
      return s;
    };
    const session = sessionFor(providerName);
    const prefetchDeps: PrefetchDeps = {
      hosting,
      config,
      store,
      concurrency: options.jobs ?? 4,
      signal: options.signal,
      keepGoing: options.keepGoing,
    };
    return {
      providerName,
      store,
      uploads,
      user,
      hosting,
      hostingConfig: config,
      provider: session.provider,
      providerFor: (name) => sessionFor(name).provider,
      preflight: async (prepared, how = {}) => {
        // A node moved (by --provider) to a host without its model or with other params: say that first.
        checkRunnable(prepared, providerName);
        checkHosting(prepared, {
          hosting,
          hostingConfig: config,
          user,
          recipeFile: target.recipeFile,
          hostingAt: target.hostingAt,
          trustHostingCommand: options.trustHostingCommand,
          trustRecipeHosting: options.trustRecipeHosting,
          sourcesAt: target.sourcesAt,
        });
        await checkHostedSources(prepared, hosting, providerName, target.sourcesAt);
        await checkInlineSources(prepared, hosting, providerName, {
          recipeInline: !options.hosting && target.hosting?.mode === 'inline',
          edit: target.edit,
        });
        // Every provider some node will call (to pay, or to re-attach to a request already paid),
        // opened now: a missing key fails before any request.
        for (const name of providersCalled(prepared, providerName)) await sessionFor(name).get();
        if (prepared.billable > 0 && options.maxCostUsd !== undefined)
          await enforceMaxCost(prepared, {
            provider: session.provider,
            providerFor: (name) => sessionFor(name).provider,
            providerName,
            maxCostUsd: options.maxCostUsd,
            from: options.maxCostFrom ?? FLAG_LIMIT,
            spentUsd: options.maxCostSpentUsd === undefined ? 0 : options.maxCostSpentUsd,
            signal: options.signal,
            readMs: options.priceReadMs,
          });
        // Last, so a run another check stops makes no folder: each file and folder the run writes, tried.
        await checkOutputFolders(prepared, providerName, {
          dryRun: how.dryRun === true,
          guard: how.guard ?? BASE_WRITE_GUARD,
        });
      },
      prefetch: (prepared, submitStop) => prefetchInputs(prepared, { ...prefetchDeps, submitStop }),
      runDeps: (p) => ({
        rt,
        provider: session.provider,
        providerName,
        providerFor: (name) => sessionFor(name).provider,
        store,
        hosting,
        lockPath: p.lockPath,
        onEvent: p.onEvent,
        coordination: p.coordination,
        writeGuard: p.writeGuard,
        paidHint: p.paidHint,
      }),
      hold,
    };
  }

  /** After {@link close}: per remote cache, the results paid for here that it does not have. */
  get remoteShortfall(): readonly RemoteShortfall[] {
    return this.#shortfall;
  }

  /** Close what the context opened: sessions, then hostings, then the stores (flushed). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#ownSessions?.closeAll();
    await this.#hostings.close();
    this.#shortfall = await this.#remotes.close();
    const stores = await Promise.all([...this.#stores.values()].map((s) => s.catch(() => null)));
    await Promise.all(
      stores.map(async (s) => {
        await s?.store.flush();
        await s?.discard();
      }),
    );
  }

  async #session(name: ProviderName): Promise<ProviderSession> {
    const opened = await this.#open(name);
    if (!this.#warned.has(name))
      for (const message of opened.warnings) this.deps.onEvent({ type: 'warning', t: 0, message });
    this.#warned.add(name);
    return opened;
  }

  /** Once per project: move an old per-project `.kontext/` cache into the user's (no request paid again). */
  async #migrate(target: RunTarget, store: Store): Promise<void> {
    const key = `${target.projectRoot}\0${store.root}`;
    if (this.#migrated.has(key)) return;
    this.#migrated.add(key);
    const notice = await migrateProjectCache(target, store);
    if (notice !== null) this.deps.onEvent({ type: 'warning', t: 0, message: notice });
  }

  /** The store for `root`, opened once; an unwritable cache dir is replaced by a per-run one, with one warning. */
  async #store(root: string): Promise<OpenedStore> {
    let opened = this.#stores.get(root);
    if (!opened) {
      const warn = (message: string): void => this.deps.onEvent({ type: 'warning', t: 0, message });
      // A damaged cached output found while opening is dropped, with a warning.
      opened = openStoreOrStandIn(root, { onWarning: warn }).then((o) => {
        if (o.warning !== null) warn(o.warning);
        return o;
      });
      opened.catch(() => this.#stores.delete(root));
      this.#stores.set(root, opened);
    }
    return opened;
  }
}

/**
 * A caller's session asked to serve a provider it is not: refused, never used (its requests would be
 * paid at one API and recorded in the lock and the cache as another's results).
 */
function sessionMismatch(has: ProviderName, needs: ProviderName): UsageError {
  const message = `the provider session given to the run is ${has}'s, but nodes of this run run on ${needs}`;
  return new UsageError(message, {
    hint: `pass a session opened for ${needs} (openProviderSession('${needs}', rt)), or none: the run opens its own`,
  });
}

/** Open a run context; `close()` it when the run (or watching) ends. */
export function openRunContext(deps: RunContextDeps, options: RunContextOptions): RunContext {
  return new RunContext(deps, options);
}

/** Run `fn` with a context that is closed afterwards, however `fn` ends. */
export async function withRunContext<T>(
  deps: RunContextDeps,
  options: RunContextOptions,
  fn: (context: RunContext) => Promise<T>,
): Promise<T> {
  const context = openRunContext(deps, options);
  try {
    return await fn(context);
  } finally {
    await context.close();
  }
}

/**
 * The user's cache dir: `--cache-dir`, else `KONTEXT_CACHE_DIR`, else `$XDG_CACHE_HOME/kontext`,
 * else `~/.cache/kontext` (see resolveCacheDir). The same for every recipe and working directory;
 * one that holds the project or its out folder is refused (UsageError, exit 64: placedCacheDir).
 */
export function cacheDirFor(at: CacheDirPlace, flag: string | undefined, rt: Runtime): string {
  return placedCacheDir(at, { flag, env: rt.env, cwd: rt.cwd });
}
