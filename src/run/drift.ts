/**
 * Drift (docs/architecture.md#change-maps-and-drift): every node a run executes is reviewed after
 * its outputs are written — off the `-j` slots, a few at a time, on sharp's thread pool — and the
 * review is stored with its run record (never in the lock); that second write of the record is
 * not fsynced once the node's lock entry is on disk (see {@link ReviewOptions.lockHolds}). A
 * cache hit whose record has no
 * review yet (written before reviews existed, or rebuilt from the lock) is reviewed only when its
 * pass declares `max_change`, so a no-op run decodes nothing; `NodeReviews` gives anyone
 * else the review of any cached node (`kontext report` asks it for each result it shows
 * without one). A node over its pass's `max_change` gets a drift
 * warning, and the run summary names it. A review that cannot be made is a warning; it never
 * fails the node.
 */
import pLimit from 'p-limit';
import type { PlanNode } from '../plan/types.js';
import { METRIC, Reviewer } from '../review/index.js';

/** A review's image that cannot be used (which, why): `kontext report` shows why a result has no change map. */
export { UnreviewableImage } from '../review/index.js';
/** Why an image cannot be decoded, in words (`kontext report` says why it has no thumbnail). */
export { whyUndecodable } from '../review/index.js';
import type { RunRecord, RunReview, Store } from '../store/types.js';
import { percentOver, percentText } from '../util/percent.js';
import type { UntimedRunEvent } from './events.js';

/** Reviews at once: each is mostly sharp decoding on its own thread pool. */
const REVIEW_CONCURRENCY = 2;

/** A node over its `max_change`: by how much. */
export interface DriftOver {
  readonly changed_pct: number;
  readonly chain_changed_pct: number | null;
  readonly max_change: number;
}

/**
 * The record's review when the metric of this version made it; `undefined` for one made by an
 * earlier metric (another `metric` name: say, before transparency and re-framing were accounted
 * for), which is made again when asked for, as a missing one is.
 */
export function currentReview(record: Pick<RunRecord, 'review'> | null | undefined): RunReview | undefined {
  const review = record?.review;
  return review?.metric === METRIC ? review : undefined;
}

/** How far `review` is over the node's `max_change`; `null` when it is not (or either is unknown). */
export function driftOf(node: Pick<PlanNode, 'maxChange'>, review: RunReview | undefined): DriftOver | null {
  const max = node.maxChange;
  if (max === undefined || review === undefined || !(review.changed_pct > max)) return null;
  return { changed_pct: review.changed_pct, chain_changed_pct: review.chain_changed_pct, max_change: max };
}

/** How a review is stored with its record. */
export interface ReviewOptions {
  /**
   * Settles `true` once the node's lock entry, naming this record's output, is on disk. The
   * record is then rewritten with its review without an fsync, as `src/run/adopt.ts` writes a
   * record it rebuilt: a power cut can tear only this rewrite, the torn record reads as a miss,
   * and the next run rebuilds it from the lock and its output file for no request (and reviews
   * it again when asked). Without it, or `false` (the lock could not be written), the rewrite is
   * fsynced: the record may be the only copy of the result.
   */
  readonly lockHolds?: Promise<boolean> | undefined;
  /**
   * Rewrite the record only if it still names the same output and has no review when the review
   * is done (a report made beside a running `kontext run`, which may write a newer record for the
   * key meanwhile); the review is returned either way.
   */
  readonly ifUnchanged?: boolean | undefined;
  /**
   * Aborted (the caller abandons its page): a review not begun yet is not made, rejecting with the
   * signal's reason when its turn comes; one under way finishes.
   */
  readonly signal?: AbortSignal | undefined;
}

/** The reviews of one plan's nodes, sharing one reviewer (and its decoded images). */
export class NodeReviews {
  readonly #reviewer: Reviewer;
  readonly #limit = pLimit(REVIEW_CONCURRENCY);
  readonly #nodes: ReadonlyMap<string, PlanNode>;

  constructor(
    nodes: readonly PlanNode[],
    private readonly store: Store,
  ) {
    this.#nodes = new Map(nodes.map((n) => [n.id, n]));
    this.#reviewer = new Reviewer(store);
  }

  /**
   * The record's review, else one made now and stored with the record; `null` when the node's
   * input is a URL (no local copy to compare against). Rejects when an image cannot be decoded.
   */
  async reviewOf(node: PlanNode, record: RunRecord, options: ReviewOptions = {}): Promise<RunReview | null> {
    const kept = currentReview(record);
    if (kept) return kept;
    const input = node.input.kind === 'node' ? this.store.blobPath(record.input_sha256) : (node.input.path ?? null);
    if (input === null) return null;
    const output = this.store.blobPath(record.output_sha256);
    const source = this.#sourceOf(node);
    const review = await this.#limit(() => {
      options.signal?.throwIfAborted();
      return this.#reviewer.review({ output, input, source });
    });
    if (options.ifUnchanged) {
      const now = await this.store.getRecord(record.key);
      if (now === null || now.output_sha256 !== record.output_sha256 || currentReview(now)) return review;
    }
    const rebuildable = options.lockHolds ? await options.lockHolds : false;
    // Mid-run: never hold the event loop (polls, submits, downloads of other nodes) for the disk.
    await this.store.putRecord({ ...record, review }, { rebuildable, blocking: false });
    return review;
  }

  /** The local file at the root of the node's chain, if it is one. */
  #sourceOf(node: PlanNode): string | null {
    let at: PlanNode | undefined = node;
    for (let hops = 0; at && hops <= this.#nodes.size; hops++) {
      if (at.input.kind === 'source') return at.input.path ?? null;
      at = this.#nodes.get(at.input.id);
    }
    return null;
  }
}

export class DriftCheck {
  readonly #reviews: NodeReviews;
  readonly #pending: Promise<void>[] = [];
  readonly #over = new Set<string>();
  /** Reviews not made because the run was interrupted first. */
  #dropped = 0;

  constructor(
    nodes: readonly PlanNode[],
    private readonly deps: {
      readonly store: Store;
      readonly emit: (e: UntimedRunEvent) => void;
      /**
       * Ctrl-C: the reviews not begun yet are not made (walk-t: a 10,000-node run waited 17–20 s
       * on its backlog of reviews before exiting 130, saying nothing); `kontext report` makes
       * them when asked. One notice says how many.
       */
      readonly signal?: AbortSignal | undefined;
    },
  ) {
    this.#reviews = new NodeReviews(nodes, deps.store);
  }

  /**
   * Call once the node's outputs are written (`cached`: a cache hit, reviewed only for a
   * `max_change`); returns at once, see {@link DriftCheck.settle}.
   */
  check(node: PlanNode, record: RunRecord, cached = false, options: ReviewOptions = {}): void {
    if (cached && !currentReview(record) && node.maxChange === undefined) return;
    const { signal } = this.deps;
    const done = this.#check(node, record, { ...options, ...(signal ? { signal } : {}) }).catch((e: unknown) => {
      if (signal?.aborted && e === signal.reason) {
        this.#dropped++;
        return;
      }
      this.deps.emit({
        type: 'warning',
        node: node.id,
        message: `no change map: ${e instanceof Error ? e.message : String(e)}`,
      });
    });
    this.#pending.push(done);
  }

  /** Waits for every review begun; the nodes over `max_change`, sorted. */
  async settle(): Promise<string[]> {
    await Promise.all(this.#pending);
    if (this.#dropped > 0)
      this.deps.emit({
        type: 'notice',
        message:
          `${this.#dropped} change ${this.#dropped === 1 ? 'map' : 'maps'} not made (interrupted), nor their ` +
          'max_change checked: `kontext report` makes them',
      });
    return [...this.#over].sort();
  }

  async #check(node: PlanNode, record: RunRecord, options: ReviewOptions): Promise<void> {
    const review = await this.#reviews.reviewOf(node, record, options);
    if (review === null && node.maxChange !== undefined)
      this.deps.emit({
        type: 'warning',
        node: node.id,
        message: 'max_change not checked: the input is a remote URL, with no local copy to compare against',
      });
    const over = driftOf(node, review ?? undefined);
    if (over === null) return;
    this.#over.add(node.id);
    const chain = over.chain_changed_pct === null ? '' : `; ${percentText(over.chain_changed_pct)} since the source`;
    // The figure with the decimals it takes to read over the limit, which is said as written.
    const changed = percentOver(over.changed_pct, over.max_change);
    this.deps.emit({
      type: 'warning',
      node: node.id,
      message: `changed ${changed} of the image, over max_change ${over.max_change}%${chain}`,
      drift: over,
    });
  }
}
