/**
 * The hostings a run context has open (context.ts), one per configuration, store and project:
 * watch mode keeps them across cycles, and a hosting the recipe no longer uses is closed once no
 * run holds it (a cycle must not close the hosting an earlier cycle's request is still uploading
 * through).
 */
import { createHosting, type Hosting } from '../hosting/index.js';
import type { HostingConfig } from '../recipe/types.js';
import type { Runtime } from '../runtime.js';
import type { Store } from '../store/types.js';

/** Where a hosting is for: the run target's fields that shape it. */
export interface HostingPlace {
  readonly projectRoot: string;
  readonly extraRoots?: readonly string[] | undefined;
  readonly provider: string;
}

interface HostingEntry {
  readonly hosting: Hosting;
  runs: number;
}

export class ContextHostings {
  readonly #hostings = new Map<string, HostingEntry>();
  /** The hosting the latest scope chose (`null`: none). */
  #latest: string | null = null;

  constructor(
    private readonly rt: Runtime,
    /** Whether a hosting for `place` may hand out private URLs (the API is local). */
    private readonly allowPrivateUrls: (place: HostingPlace) => boolean,
    /** S3 hosting's idle timeout, when shorter than the product's (tests). */
    private readonly s3IdleTimeoutMs?: number | undefined,
    /** Where hosting's warnings go (a hosting command's URL that could not be checked). */
    private readonly warn?: ((message: string) => void) | undefined,
  ) {}

  /**
   * The hosting a new scope chose (opened, or reused), now the latest; the others no run holds
   * are closed. `hold` keeps it open until a run settles, even if a later scope stops using it.
   */
  choose(
    config: HostingConfig | null,
    store: Store,
    place: HostingPlace,
  ): { readonly hosting: Hosting | null; readonly hold: (run: Promise<unknown>) => void } {
    const entry = config ? this.#entry(config, store, place) : null;
    this.#latest = entry ? hostingKey(config, store, place) : null;
    this.#sweep();
    const hold = (run: Promise<unknown>): void => {
      if (!entry) return;
      entry.runs++;
      const release = (): void => {
        entry.runs--;
        this.#sweep();
      };
      run.then(release, release);
    };
    return { hosting: entry?.hosting ?? null, hold };
  }

  /** Close every hosting. */
  async close(): Promise<void> {
    const hostings = [...this.#hostings.values()];
    this.#hostings.clear();
    await Promise.all(hostings.map((e) => e.hosting.close?.()));
  }

  #entry(config: HostingConfig, store: Store, place: HostingPlace): HostingEntry {
    const key = hostingKey(config, store, place);
    let entry = this.#hostings.get(key);
    if (!entry) {
      const hosting = createHosting(config, {
        rt: this.rt,
        cacheDir: store.root,
        projectRoot: place.projectRoot,
        ...(place.extraRoots ? { extraRoots: [...place.extraRoots] } : {}),
        allowPrivateUrls: this.allowPrivateUrls(place),
        s3IdleTimeoutMs: this.s3IdleTimeoutMs,
        onWarning: this.warn,
      });
      entry = { hosting, runs: 0 };
      this.#hostings.set(key, entry);
    }
    return entry;
  }

  /** Close hostings no longer chosen once no run holds them. */
  #sweep(): void {
    for (const [key, entry] of this.#hostings) {
      if (key === this.#latest || entry.runs > 0) continue;
      this.#hostings.delete(key);
      void Promise.resolve(entry.hosting.close?.()).catch(() => undefined);
    }
  }
}

function hostingKey(config: HostingConfig | null, store: Store, place: HostingPlace): string {
  return JSON.stringify([config, store.root, place.projectRoot, place.extraRoots ?? [], place.provider]);
}
