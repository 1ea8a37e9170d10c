/**
 * The review sheet's data from local state: the recipe, its plan, the lock, the run records in
 * the cache and the files in `<out>/` (docs/architecture.md#the-review-report), plus, when the
 * store peeks a remote cache, the records only it holds (`inRemote`: no image, nothing kept).
 * Node states are `kontext status`'s (src/run/status.ts); nothing is submitted, hosted or paid.
 * Returns the data and the image work it needs (thumbnails, input previews, change maps), each
 * named by the sha256 of its bytes so a second report reuses it.
 */
import { relative, sep } from 'node:path';
import type { PlanNode } from '../plan/types.js';
import type { Recipe } from '../recipe/types.js';
import type { Runtime } from '../runtime.js';
import type { NodeState } from '../run/resolve.js';
import { currentReview, driftOf, NodeReviews, UnreviewableImage } from '../run/drift.js';
import { storedRecord } from '../run/lock-current.js';
import { statusDetail, type NodeStatus, type StatusDetail } from '../run/status.js';
import { pickedOutLines } from './picked-out-lines.js';
import type { LockEntry, RunRecord, RunReview, Store } from '../store/types.js';
import { isCleanAbsolute } from '../util/real-path.js';
import { columnsOf, rowKey, rowsOf } from './layout.js';
import { pageName, warningLines } from './recipe-text.js';
import { costOf, countsOf, totalCost } from './totals.js';
import type { CellState, ReportData, ReportNode, ReportRow } from './types.js';

/** Why a result the lock and out/ prove (a clone, a new cache) has no review: its images are not in the cache. */
const NOT_IN_CACHE =
  'not in this cache yet (a clone, a new cache): kontext run takes it in from the lock and out/ ' +
  'without a request, and the next report has its change map';

/** Why an output changed by hand has no figures: its record's review is of the provider's output. */
const MODIFIED =
  "modified by hand since the run: this file's change is not measured (the run's figures are of the provider's " +
  'output it replaced)';

/** One image the report needs: read `from`, write `<dir>/<sha256>.<ext>` under the report folder. */
export interface AssetJob {
  readonly kind: 'thumbs' | 'inputs' | 'maps';
  readonly sha256: string;
  readonly from: string;
}

export interface Collected {
  readonly data: ReportData;
  readonly jobs: readonly AssetJob[];
}

/**
 * A live run (the watch server's): the nodes it is running or failed, and those it executed and
 * is reviewing itself (its review lands in the record before its summary), are not reviewed here;
 * shown without a change map until then. Their states are laid over the data by the server.
 */
export interface LiveRun {
  readonly states: ReadonlyMap<string, unknown>;
  readonly reviewing: ReadonlySet<string>;
}

export async function collectReport(
  recipe: Recipe,
  p: {
    readonly store: Store;
    readonly rt: Runtime;
    readonly live?: LiveRun | undefined;
    /** Keys `store` answered from the remote cache without keeping them (status's state `remote`). */
    readonly inRemote?: ReadonlySet<string> | undefined;
    /**
     * Told the data as soon as the states are known, before the missing reviews are made
     * (`reviewing`: some are): the served page shows a finished node at once, its change map next.
     */
    readonly early?: ((c: Collected, reviewing: boolean) => Promise<void>) | undefined;
    /**
     * Aborted (Ctrl-C, the served page's server closing): rejects with its reason once the states
     * are read, after each cell, and the reviews not begun yet are not made.
     */
    readonly signal?: AbortSignal | undefined;
  },
): Promise<Collected> {
  const { store, rt, signal } = p;
  const detail = await statusDetail(store, { recipe, options: {}, rt, fromRemote: p.inRemote });
  signal?.throwIfAborted();
  const jobs: AssetJob[] = [];
  const job = (kind: AssetJob['kind'], sha256: string, from: string, ext: string): string => {
    jobs.push({ kind, sha256, from });
    return `${kind}/${sha256}.${ext}`;
  };
  const { passes, indexOf } = columnsOf(detail.plan);
  const rowList = rowsOf(detail.plan);
  const rows: ReportRow[] = [];
  /** Each row's source bytes now (null: a URL, or unreadable): what its first pass is measured against. */
  const rowShas: (string | null)[] = [];
  for (const r of rowList) {
    const path = r.root.input.kind === 'source' ? r.root.input.path : undefined;
    const sha =
      path === undefined
        ? null
        : await store.hashSource(path).then(
            (h) => h.sha256,
            () => null,
          );
    const local = sha !== null && path !== undefined;
    rowShas.push(sha);
    rows.push({
      source: r.source,
      instance: r.instance,
      input: local ? job('inputs', sha, path, 'webp') : null,
      thumb: local ? job('thumbs', sha, path, 'webp') : null,
    });
  }
  const rowIndex = new Map(rowList.map((r, i) => [rowKey(r.source, r.instance), i] as const));
  const statuses = new Map(detail.status.nodes.map((n) => [n.node, n] as const));
  const nodes: ReportNode[] = [];
  const unreviewed: { readonly at: number; readonly node: PlanNode; readonly cell: Cell }[] = [];
  const imgOf = new Map<string, string | null>();
  const shownOf = new Map<string, { readonly sha: string | null; readonly modified: boolean }>();
  // The first cell showing each record: a later one showing it too (byte-identical sources with a
  // fixed seed, and everything below them) shows the same paid request, counted once in the total.
  const shownBy = new Map<string, string>();
  for (const node of detail.plan.nodes) {
    const cell = await cellOf(node, { detail, store, statuses, job, outDir: recipe.outDir });
    signal?.throwIfAborted();
    const live = p.live?.states.has(node.id) === true || p.live?.reviewing.has(node.id) === true;
    const modified = cell.state === 'modified';
    if (cell.review === null && cell.record !== null && !live && !modified)
      unreviewed.push({ at: nodes.length, node, cell });
    imgOf.set(node.id, cell.img ?? cell.thumb);
    shownOf.set(node.id, { sha: cell.sha, modified });
    const inputNode = node.input.kind === 'node' ? node.input.id : null;
    const row = rowIndex.get(rowKey(node.source, node.instance)) ?? 0;
    const before =
      inputNode === null
        ? await beforeOf(
            'the source as it is now',
            cell.record,
            { img: rows[row]?.input ?? null, sha: rowShas[row] ?? undefined },
            { store, job },
          )
        : await beforeOf(
            shownOf.get(inputNode)?.modified === true
              ? `${inputNode}'s output as changed by hand`
              : `${inputNode}'s current result`,
            cell.record,
            { img: imgOf.get(inputNode) ?? null, sha: shownOf.get(inputNode)?.sha },
            { store, job },
          );
    const sameResultAs = cell.record === null ? undefined : shownBy.get(cell.record.key);
    if (cell.record !== null && sameResultAs === undefined) shownBy.set(cell.record.key, node.id);
    nodes.push({
      id: node.id,
      p: indexOf.get(node.pass) ?? 0,
      r: row,
      variant: node.variant,
      picked: node.picked === true,
      seed: cell.seed ?? node.seed,
      state: cell.state,
      why: cell.why,
      img: cell.img,
      thumb: cell.thumb,
      stale: cell.stale,
      input: before.input,
      ...(before.note === undefined ? {} : { beforeNote: before.note }),
      from: inputNode,
      finishedAt: cell.finishedAt,
      ms: null,
      costUsd: cell.costUsd,
      review: cell.review,
      // As `kontext status` and the run's drift warning judge it.
      drift: driftOf(node, cell.reviewed) !== null,
      ...(modified && cell.record !== null ? { noReview: MODIFIED } : {}),
      ...(sameResultAs === undefined ? {} : { sameResultAs }),
    });
  }
  const said = warningLines(recipe);
  const pickedOut = pickedOutLines(detail.status.pickedOut, recipe.dir);
  const dataOf = (shown: readonly ReportNode[]): ReportData => ({
    v: 1,
    recipe: { name: recipe.name, file: pageName(recipe), provider: recipe.provider },
    generatedAt: new Date(rt.now()).toISOString(),
    counts: countsOf(shown),
    ...totalCost(shown),
    warnings: said.lint,
    ...(said.other.length > 0 && { recipeWarnings: said.other }),
    ...(pickedOut.length > 0 && { pickedOut }),
    passes,
    rows,
    nodes: shown,
  });
  await p.early?.({ data: dataOf([...nodes]), jobs: [...jobs] }, unreviewed.length > 0);
  await reviewMissing(unreviewed, nodes, { plan: detail.plan.nodes, store, job, signal });
  signal?.throwIfAborted();
  return { data: dataOf(nodes), jobs };
}

interface Cell {
  readonly state: CellState;
  readonly why: string | null;
  readonly img: string | null;
  readonly thumb: string | null;
  readonly stale: boolean;
  readonly seed: number | null;
  readonly finishedAt: string | null;
  readonly costUsd: number | null;
  readonly review: ReportNode['review'];
  readonly reviewed: RunReview | undefined;
  /** The run record whose output the cell shows, if any. */
  readonly record: RunRecord | null;
  /** The sha256 of the image the cell shows (the file on disk, else the record's output), if any. */
  readonly sha: string | null;
  /** The lock and the output file hold that output (the record is rebuildable from them). */
  readonly lockHolds: boolean;
}

interface CellContext {
  readonly detail: StatusDetail;
  readonly store: Store;
  readonly statuses: ReadonlyMap<string, NodeStatus>;
  readonly job: (kind: AssetJob['kind'], sha256: string, from: string, ext: string) => string;
  readonly outDir: string;
}

const STATE_OF: Readonly<Record<NodeStatus['state'], CellState>> = {
  'up-to-date': 'up-to-date',
  'will-run': 'not-run',
  modified: 'modified',
  missing: 'cached',
  remote: 'remote',
};

/** A journaled request is re-attached to only by its request id (`attach`); else what the run does. */
function claimOrReason(status: NodeStatus | undefined): string | null {
  if (status?.submit_refused) return 'refused';
  return status?.claim !== undefined && status.claim !== 'attach' ? status.claim : (status?.reason ?? null);
}

async function cellOf(node: PlanNode, c: CellContext): Promise<Cell> {
  const status = c.statuses.get(node.id);
  const state: NodeState | undefined = c.detail.states.get(node.id);
  const locked: LockEntry | undefined = c.detail.lock.nodes[node.id];
  // Below a node the run stops at, a missing or remote output is not restored (status's `stopped_by`):
  // not run yet, and why, rather than "a run restores them" (review-y 8).
  const stoppedBy = status?.stopped_by;
  const cellState = status && stoppedBy === undefined ? STATE_OF[status.state] : 'not-run';
  // The result this cell shows: the current one, else (it has to run again) the lock's older one.
  const current = state ? await storedRecord(state, c.store) : null;
  const record = current ?? (locked ? await c.store.getRecord(locked.key).catch(() => null) : null);
  const file = status?.output ?? null;
  // A cached or remote result is not (yet) the file in out/: whatever is there is not it.
  const elsewhere = cellState === 'cached' || cellState === 'remote';
  const onDisk = file === null || elsewhere ? null : await shaOnDisk(c.store, file, cellState, record, locked);
  const sha = onDisk ?? record?.output_sha256 ?? null;
  let from: string | null = null;
  if (onDisk !== null && file !== null) from = file;
  else if (sha !== null) from = await blobIf(c.store, sha);
  // A record without a review (rebuilt from a lock, a remote hit, written before reviews, or by
  // an earlier metric) gets one after the cells are read: reviewMissing. An output changed by hand
  // shows the file on disk: the record's figures (and its drift, its change map) are of the
  // provider's output it replaced, never shown as this file's.
  const review = cellState === 'modified' ? null : (currentReview(record) ?? null);
  return {
    state: cellState,
    why:
      stoppedBy !== undefined
        ? `below ${stoppedBy}, where the run stops: not until it is fixed`
        : claimOrReason(status),
    img: onDisk !== null && file !== null ? urlUnder(c.outDir, file) : null,
    thumb: sha !== null && from !== null ? c.job('thumbs', sha, from, 'webp') : null,
    // Its own cached result, only not restored below a stopped node, is current, not older (review-z 8).
    stale: cellState === 'not-run' && sha !== null && (stoppedBy === undefined || status?.state === 'will-run'),
    seed: record?.seed ?? locked?.seed ?? null,
    finishedAt: record?.finished_at ?? locked?.finished_at ?? null,
    costUsd: costOf(record),
    review: review && (await reviewField(review, c.store, c.job)),
    reviewed: review ?? undefined,
    record,
    sha: from === null ? null : sha,
    lockHolds: cellState === 'up-to-date' && record !== null && locked?.key === record.key,
  };
}

type JobFn = (kind: AssetJob['kind'], sha256: string, from: string, ext: string) => string;

/** A review as the page shows it: its change map as an asset, when the map's blob is there. */
async function reviewField(review: RunReview, store: Store, job: JobFn): Promise<NonNullable<ReportNode['review']>> {
  const mapFrom = await blobIf(store, review.map_sha256);
  return { ...review, map: mapFrom === null ? null : job('maps', review.map_sha256, mapFrom, 'png') };
}

/**
 * Review the shown results that have no review yet, a few at a time (run/drift.ts's
 * `NodeReviews`, one reviewer for the report so a chain decodes each image once), and store each
 * review with its record, as a run does for the nodes it executes: so a teammate's clone, a
 * rebuilt cache or remote hits get change maps too, once. The record is rewritten without an
 * fsync when the lock and the file hold its output, and only if it is unchanged meanwhile. A
 * review that cannot be made (a blob or the input is missing, an undecodable image, a read-only
 * cache) leaves the cell without one; an up-to-date one whose images the cache lacks says why.
 * Once `signal` is aborted the reviews not begun yet are skipped (only those under way are waited
 * for): the caller abandons the page.
 */
async function reviewMissing(
  unreviewed: readonly { readonly at: number; readonly node: PlanNode; readonly cell: Cell }[],
  nodes: ReportNode[],
  c: {
    readonly plan: readonly PlanNode[];
    readonly store: Store;
    readonly job: JobFn;
    readonly signal?: AbortSignal | undefined;
  },
): Promise<void> {
  if (unreviewed.length === 0) return;
  const reviews = new NodeReviews(c.plan, c.store);
  const has = (sha: string): Promise<boolean> => c.store.hasBlob(sha).catch(() => false);
  await Promise.all(
    unreviewed.map(async ({ at, node, cell }) => {
      const record = cell.record;
      const shown = nodes[at];
      if (record === null || shown === undefined || c.signal?.aborted === true) return;
      const missing =
        !(await has(record.output_sha256)) || (node.input.kind === 'node' && !(await has(record.input_sha256)));
      // Before, the page said nothing: a teammate's clone showed every result up to date, without a figure or a why.
      if (missing) {
        if (cell.state === 'up-to-date') nodes[at] = { ...shown, noReview: NOT_IN_CACHE };
        return;
      }
      const options = { lockHolds: Promise.resolve(cell.lockHolds), ifUnchanged: true, signal: c.signal };
      const review = await reviews.reviewOf(node, record, options).catch((e: unknown) => {
        if (e instanceof UnreviewableImage) nodes[at] = { ...shown, noReview: `${e.role} ${e.why}` };
        return null;
      });
      if (review === null) return;
      nodes[at] = {
        ...shown,
        review: await reviewField(review, c.store, c.job),
        drift: driftOf(node, review) !== null,
      };
    }),
  );
}

/**
 * The sha256 of the output file: an up-to-date one holds what status just checked (the lock's
 * or the record's), so only a modified or stale file is hashed (through the store's memo).
 */
async function shaOnDisk(
  store: Store,
  file: string,
  state: CellState,
  record: RunRecord | null,
  locked: LockEntry | undefined,
): Promise<string | null> {
  if (state === 'up-to-date')
    return locked?.key === record?.key ? (locked?.output_sha256 ?? null) : (record?.output_sha256 ?? null);
  return store.hashSource(file).then(
    (h) => h.sha256,
    () => null,
  );
}

async function blobIf(store: Store, sha: string): Promise<string | null> {
  return (await store.hasBlob(sha).catch(() => false)) ? store.blobPath(sha) : null;
}

/**
 * The image a node edited, as its viewer lays it under the output: the upstream cell's image (the
 * row's source for a first pass), unless that shows other bytes than the node's record was made
 * from and measured against (`input_sha256`): an upstream output changed by hand or re-run since,
 * a source photo replaced. Then a preview of the bytes the record names, from the cache; when the
 * cache lacks them, the image as it is now with a note (`now`: what it is) that it is not what the
 * node was made from (before, shown as the node's input unsaid).
 */
async function beforeOf(
  now: string,
  record: RunRecord | null,
  /** `sha`: the bytes it shows; `null` none (its image not made); `undefined` not known (a URL). */
  upstream: { readonly img: string | null; readonly sha: string | null | undefined },
  c: { readonly store: Store; readonly job: JobFn },
): Promise<{ readonly input: string | null; readonly note?: string }> {
  const { img, sha } = upstream;
  if (record === null || sha === undefined || sha === record.input_sha256) return { input: img };
  const from = await blobIf(c.store, record.input_sha256);
  if (from !== null) return { input: c.job('inputs', record.input_sha256, from, 'webp') };
  if (img === null) return { input: null };
  return {
    input: img,
    note:
      `${now}, not the image this node was made from and its change measured against ` +
      '(that one is not in this cache)',
  };
}

/** `../<pass>/<file>` relative to `<out>/report/`, each segment URL-encoded; `null` outside `<out>/`. */
export function urlUnder(outDir: string, file: string): string | null {
  // Both clean and `file` below `outDir`: relative() would return the rest as it is (1,000 calls a report).
  const below = sep === '/' && file.startsWith(`${outDir}/`) && isCleanAbsolute(outDir) && isCleanAbsolute(file);
  const rel = below ? file.slice(outDir.length + 1) : relative(outDir, file);
  if (rel === '' || rel.startsWith('..') || rel.startsWith(sep)) return null;
  return `../${rel.split(sep).map(encodeURIComponent).join('/')}`;
}
