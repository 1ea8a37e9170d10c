/**
 * What `throughRemote` (status.ts) does for one `kontext report`, for a reader that asks again
 * and again: the watch server's page (src/report/serve/), rebuilt on every run event. The remote
 * cache a run of the recipe would use answers what the local store lacks, peeked, never taken
 * (the watch run itself takes what it needs). One RemotePool for the reader's life, so a remote
 * found down or refusing stays off (the run says so, this says nothing), and its answers are
 * remembered: a record the remote holds is not asked for again, a miss not for
 * {@link MISS_TTL_MS}, so a page rebuilt many times a second does not ask the bucket each time.
 * The reader never waits for the remote: a key not answered yet reads as missing there now, and
 * is asked in the background; once the questions out have all been answered (or timed out: a
 * remote that accepts and never replies costs its timeouts), `onAnswers` says so, and the
 * reader builds again with what is known.
 */
import { basename } from 'node:path';
import { loadUserConfig } from '../recipe/index.js';
import type { Recipe } from '../recipe/types.js';
import { RemotePool } from '../remote/index.js';
import type { Runtime } from '../runtime.js';
import type { RunRecord, Store } from '../store/types.js';

/** How long a key the remote did not have is taken as still missing there (a teammate may upload it). */
const MISS_TTL_MS = 30_000;

export class RemotePeek {
  readonly #pool: RemotePool;
  /** The remote inputs the memo below is about; a recipe edited to another remote starts afresh. */
  #inputs = '';
  readonly #held = new Map<string, RunRecord>();
  readonly #missed = new Map<string, number>();
  /** Keys asked in the background, not answered yet. */
  readonly #asking = new Set<string>();
  #closed = false;

  constructor(
    private readonly rt: Runtime,
    /** `--no-remote`: local state only. */
    private readonly off: boolean,
    /** The questions out have all been answered (or given up on): what is known changed. */
    private readonly onAnswers: () => void = () => undefined,
  ) {
    this.#pool = new RemotePool({ rt, warn: () => undefined, notice: () => undefined });
  }

  /** `use` with `local` behind which the remote answers, and the keys it answered (status's state `remote`). */
  async through<T>(
    local: Store,
    recipe: Recipe,
    use: (store: Store, fromRemote: ReadonlySet<string>) => Promise<T>,
  ): Promise<T> {
    const { rt, off } = this;
    const envRemote = (rt.env['KONTEXT_REMOTE_CACHE'] ?? '').trim() !== '';
    const user = off || envRemote ? undefined : (await loadUserConfig(rt)).cache?.remote;
    const inputs = { recipe: recipe.remote, user, off, recipeFile: basename(recipe.file) };
    const id = JSON.stringify(inputs);
    if (id !== this.#inputs) {
      this.#inputs = id;
      this.#held.clear();
      this.#missed.clear();
    }
    const asked = id;
    const { store: peeking } = await this.#pool.peek(local, inputs, 'peek');
    if (peeking === local) return use(local, new Set());
    const fromRemote = new Set<string>();
    const getRecord = async (key: string): Promise<RunRecord | null> => {
      const own = await local.getRecord(key);
      if (own !== null) return own;
      const held = this.#held.get(key);
      if (held === undefined) {
        const missed = this.#missed.get(key);
        if (missed === undefined || rt.now() - missed >= MISS_TTL_MS)
          this.#ask(key, () => peeking.getRecord(key), asked);
        return null;
      }
      fromRemote.add(key);
      return held;
    };
    return use({ ...peeking, getRecord }, fromRemote);
  }

  /** Ask the remote for `key` in the background (once at a time); its answer is for the inputs `asked`. */
  #ask(key: string, peek: () => Promise<RunRecord | null>, asked: string): void {
    if (this.#asking.has(key)) return;
    this.#asking.add(key);
    void peek()
      .catch(() => null) // the remote's trouble is the run's to say
      .then((found) => {
        this.#asking.delete(key);
        if (asked === this.#inputs) {
          if (found === null) this.#missed.set(key, this.rt.now());
          else {
            this.#held.set(key, found);
            this.#missed.delete(key);
          }
        }
        if (this.#asking.size === 0 && !this.#closed) this.onAnswers();
      });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#pool.close();
  }
}
