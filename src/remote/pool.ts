/**
 * The remote caches a run context has open (one per remote and upload permission; watch mode
 * keeps them across cycles), how a run's store is wrapped with one (and the uploads an earlier
 * run left queued again, pending.ts), and the end of the context: wait for the uploads still
 * going, saying so, and say how many were left for a later run, then close.
 */
import type { Runtime } from '../runtime.js';
import type { RunRecord, Store } from '../store/types.js';
import type { RemoteBounds } from './bucket.js';
import { graceSignal } from '../util/grace-signal.js';
import { chooseRemote, type RemoteChoice, type RemoteInputs } from './choose.js';
import { openRemote } from './open.js';
import type { RemoteCache } from './remote-cache.js';
import { peekingRemote, withRemote } from './remote-store.js';

export interface RemotePoolDeps {
  readonly rt: Runtime;
  readonly warn: (message: string) => void;
  readonly notice: (message: string) => void;
  /**
   * Ctrl-C: look-ups stop, no upload starts that is not queued yet; those queued or under way
   * get {@link UPLOAD_GRACE_MS} to finish (the local store keeps everything either way).
   */
  readonly signal?: AbortSignal | undefined;
  /** Time bounds shorter than the product's (tests; bucket.ts). */
  readonly bounds?: RemoteBounds | undefined;
  /** A remote lost stops the run's submits (a `--shard` run): its warning says so. */
  readonly lostStopsSubmits?: boolean | undefined;
}

/**
 * How long the uploads under way or queued at Ctrl-C may still finish. On a CI runner the local
 * cache is thrown away with the job: a paid result the remote lacks is paid again by the next
 * run. GitHub Actions sends SIGTERM 7.5 s after its SIGINT (and a second signal exits at once).
 */
const UPLOAD_GRACE_MS = 5_000;

export class RemotePool {
  readonly #open = new Map<string, Promise<RemoteCache>>();
  readonly #uploadGrace: { readonly signal: AbortSignal; readonly dispose: () => void } | undefined;

  constructor(readonly deps: RemotePoolDeps) {
    this.#uploadGrace = deps.signal && graceSignal(deps.signal, UPLOAD_GRACE_MS, () => undefined);
  }

  /**
   * `store` as the run sees it: with the chosen remote behind it, or as it is when there is none;
   * its `uploads` (`null` without a remote).
   */
  async wrap(
    store: Store,
    inputs: Omit<RemoteInputs, 'env'>,
  ): Promise<{ readonly store: Store; readonly uploads: RunUploads | null }> {
    const choice = chooseRemote({ ...inputs, env: this.deps.rt.env });
    if (choice === null) return { store, uploads: null };
    const opened = await this.#remote(choice);
    const uploads: RunUploads = {
      local: store,
      resume: () => opened.resume(store),
      ensure: (r) => opened.ensure(r, store),
      lost: opened.lost,
      checkWrite: () => opened.checkWrite(),
    };
    return { store: withRemote(store, opened), uploads };
  }

  /**
   * `store` as `kontext status` and `kontext report` see it: the remote the run would use (the
   * same choice) answers what the local store lacks, checked but not taken (remote-store.ts's
   * `peekingRemote`), or with `take` downloaded into the local store as a run's fetch does;
   * nothing is uploaded, so a recipe's remote is not announced as read-only.
   */
  async peek(
    store: Store,
    inputs: Omit<RemoteInputs, 'env' | 'trustRecipe'>,
    mode: 'peek' | 'take' = 'peek',
  ): Promise<{ readonly store: Store; readonly fromRemote: ReadonlySet<string> }> {
    const choice = chooseRemote({ ...inputs, env: this.deps.rt.env });
    if (choice === null) return { store, fromRemote: new Set() };
    return peekingRemote(store, await this.#remote({ ...choice, upload: false, notice: null }), mode);
  }

  #remote(choice: RemoteChoice): Promise<RemoteCache> {
    const id = `${choice.location.url}\0${String(choice.upload)}`;
    let remote = this.#open.get(id);
    if (!remote) {
      remote = openRemote(choice, { ...this.deps, uploadSignal: this.#uploadGrace?.signal });
      this.#open.set(id, remote);
    }
    return remote;
  }

  /**
   * Wait for pending uploads (one progress line when there are any), then close the clients.
   * Returns, per remote, the results paid for in this context that it does not have
   * (`RemoteCache.missing`; remotes missing none are left out).
   */
  async close(): Promise<RemoteShortfall[]> {
    const remotes = await Promise.all([...this.#open.values()].map((r) => r.catch(() => null)));
    this.#open.clear();
    const pending = (): number => remotes.reduce((n, r) => n + (r?.pending ?? 0), 0);
    // Interrupted before or while waiting: said once, with what is still to send.
    const finishing = (): void => {
      const n = pending();
      if (n > 0 && this.#uploadGrace?.signal.aborted === false)
        this.deps.notice(
          `finishing ${n} upload${n === 1 ? '' : 's'} to the remote cache ` +
            `(up to ${UPLOAD_GRACE_MS / 1000} s; interrupt again to stop now)`,
        );
    };
    const { signal } = this.deps;
    if (signal?.aborted) finishing();
    else {
      if (pending() > 0) this.deps.notice(`uploading ${pending()} to remote cache…`);
      signal?.addEventListener('abort', finishing, { once: true });
    }
    await Promise.all(remotes.map((r) => r?.drain()));
    signal?.removeEventListener('abort', finishing);
    this.#uploadGrace?.dispose();
    for (const r of remotes) {
      if (r && r.unsent > 0)
        this.deps.notice(
          `remote cache ${r.url}: ${r.unsent} result${r.unsent === 1 ? '' : 's'} not uploaded; ` +
            'the next run with this remote uploads them',
        );
      r?.close();
    }
    return remotes.flatMap((r) =>
      r && r.missing > 0 ? [{ url: r.url, missing: r.missing, uploadsOff: r.uploadsOff, unfit: r.unfit }] : [],
    );
  }
}

/** A run's uploads beyond what it pays for. */
export interface RunUploads {
  /** The local store they are read from (without the remote behind it). */
  readonly local: Store;
  /** Queue the uploads an earlier run left (a run that executes calls it, a dry run not). */
  resume(): Promise<void>;
  /** Upload a result taken from the local cache unless the remote has it (`RemoteCache.ensure`: `--shard`). */
  ensure(record: RunRecord): void;
  /** Aborted once no result of the run can reach the remote (`RemoteCache.lost`): a shard submits nothing more. */
  readonly lost: AbortSignal;
  /** Learn, before paying, that the remote takes writes (`RemoteCache.checkWrite`: a `--shard` run). */
  checkWrite(): Promise<void>;
}

/** Results a run paid for that a remote cache does not have when the run ends. */
export interface RemoteShortfall {
  readonly url: string;
  readonly missing: number;
  /** Uploads were off by the end (see `RemoteCache.uploadsOff`): trying again will not send them. */
  readonly uploadsOff: boolean;
  /** Of `missing`, results unfit for any remote (each said in a warning): no retry sends them. */
  readonly unfit: number;
}
