/**
 * What watch cycles share instead of reopening each time: the store (per cache dir), the
 * hosting (per configuration; one the recipe no longer uses is closed once no run holds it:
 * a cycle must not close the hosting an earlier cycle's request is still uploading through),
 * and the provider session (from the pool, opened only when a cycle has work, then reused).
 */
import { basename, resolve } from 'node:path';
import { formatProblem, RecipeError, type KontextError } from '../errors.js';
import { createHosting, type Hosting } from '../hosting/index.js';
import { lazySession } from '../providers/lazy.js';
import type { SessionPool } from '../providers/session-pool.js';
import type { Provider } from '../providers/types.js';
import { loadUserConfig } from '../recipe/index.js';
import type { HostingConfig, ProviderName, Recipe } from '../recipe/types.js';
import type { Runtime } from '../runtime.js';
import { openStore } from '../store/index.js';
import { migrateProjectCache } from './open-cache.js';
import type { Store } from '../store/types.js';
import type { RunEvent } from './events.js';
import { preflight } from './hosting-check.js';
import type { Prepared } from './prepare.js';
import { cacheDirFor, chooseHosting, lockPathFor, type RunRecipeOptions } from './run-recipe.js';

/** Everything one cycle's run needs from the shared resources. */
export interface CycleResources {
  readonly providerName: ProviderName;
  readonly store: Store;
  readonly lockPath: string;
  readonly deps: {
    readonly provider: Provider;
    readonly providerName: ProviderName;
    readonly store: Store;
    readonly hosting: Hosting | null;
  };
  /** The settings `deps.hosting` was built from (how long its URLs live decides what is hosted ahead). */
  readonly hostingConfig: HostingConfig | null;
  /** The checks a plain run makes before submitting (hosting, token, --max-cost); throws. */
  check(prepared: Prepared): Promise<void>;
  /** Keep the hosting open until this run settles. */
  hold(run: Promise<unknown>): void;
}

interface HostingEntry {
  readonly hosting: Hosting;
  runs: number;
}

export class WatchResources {
  readonly #stores = new Map<string, Promise<Store>>();
  readonly #hostings = new Map<string, HostingEntry>();
  /** The hosting the latest cycle chose (`null`: none). */
  #latest: string | null = null;
  readonly #warned = new Set<ProviderName>();

  constructor(
    readonly rt: Runtime,
    readonly sessions: SessionPool,
    readonly options: RunRecipeOptions,
  ) {}

  absolute(path: string): string {
    return resolve(this.rt.cwd, path);
  }

  async forRun(recipe: Recipe, onEvent: (e: RunEvent) => void): Promise<CycleResources> {
    const { rt, options } = this;
    const providerName = options.provider ?? recipe.provider;
    const store = await this.#store(cacheDirFor(recipe, options.cacheDir, rt));
    const migrated = await migrateProjectCache(recipe, store);
    if (migrated !== null) onEvent({ type: 'warning', t: 0, message: migrated });
    const user = await loadUserConfig(rt);
    const config = chooseHosting(recipe.hosting, options.hosting, user, providerName);
    const key = config ? JSON.stringify([config, store.root, recipe.projectRoot]) : null;
    const entry =
      key && config
        ? this.#hosting(key, () => createHosting(config, { rt, cacheDir: store.root, projectRoot: recipe.projectRoot }))
        : null;
    const hosting = entry?.hosting ?? null;
    this.#latest = key;
    this.#sweep();
    const session = lazySession(providerName, async () => {
      const opened = await this.sessions.get(providerName);
      if (!this.#warned.has(providerName))
        for (const message of opened.warnings) onEvent({ type: 'warning', t: 0, message });
      this.#warned.add(providerName);
      return opened;
    });
    return {
      providerName,
      store,
      lockPath: lockPathFor(recipe),
      deps: { provider: session.provider, providerName, store, hosting },
      hostingConfig: config,
      check: (prepared) =>
        preflight(prepared, {
          ...options,
          hosting,
          hostingConfig: config,
          user,
          session,
          recipeFile: basename(recipe.file),
        }),
      hold: (run) => {
        if (!entry) return;
        entry.runs++;
        const release = (): void => {
          entry.runs--;
          this.#sweep();
        };
        run.then(release, release);
      },
    };
  }

  /** Close the hostings (the session pool belongs to the caller). */
  async close(): Promise<void> {
    const all = [...this.#hostings.values()];
    this.#hostings.clear();
    await Promise.all(all.map((e) => e.hosting.close?.()));
  }

  #store(root: string): Promise<Store> {
    let store = this.#stores.get(root);
    if (!store) {
      store = openStore(root);
      store.catch(() => this.#stores.delete(root));
      this.#stores.set(root, store);
    }
    return store;
  }

  #hosting(key: string, create: () => Hosting): HostingEntry {
    let entry = this.#hostings.get(key);
    if (!entry) {
      entry = { hosting: create(), runs: 0 };
      this.#hostings.set(key, entry);
    }
    return entry;
  }

  /** Close hostings the recipe no longer uses once no run holds them. */
  #sweep(): void {
    for (const [key, entry] of this.#hostings) {
      if (key === this.#latest || entry.runs > 0) continue;
      this.#hostings.delete(key);
      void Promise.resolve(entry.hosting.close?.()).catch(() => undefined);
    }
  }
}

/** A KontextError as the lines a `watch-error` event carries. */
export function problemLines(e: KontextError): string[] {
  if (e instanceof RecipeError) {
    const errors = e.problems.filter((p) => p.severity === 'error');
    return (errors.length > 0 ? errors : e.problems).map((p) => formatProblem(p));
  }
  return [formatProblem({ code: e.code, severity: 'error', message: e.message, ...(e.hint ? { hint: e.hint } : {}) })];
}
