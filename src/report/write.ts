/**
 * `kontext report`: the review sheet of a recipe, written to `<out>/report/` from local state,
 * plus what the remote cache a run would use holds, peeked (a cell "in the remote cache"), or
 * with `fetchRemote` downloaded into the local cache (docs/architecture.md#the-review-report).
 * Writes nothing outside that folder and the cache: images go to temp names and are renamed into
 * place, `index.html` is replaced atomically last, so a reader sees the old report or the new
 * one. Never submits, hosts, uploads or pays.
 */
import { join } from 'node:path';
import { loadRecipe } from '../recipe/index.js';
import type { Recipe } from '../recipe/types.js';
import type { Runtime } from '../runtime.js';
import { cacheDirFor } from '../run/context.js';
import { openStoreOrStandIn } from '../run/open-cache.js';
import { throughRemote } from '../run/status.js';
import { writeFileAtomic } from '../store/atomic.js';
import { withFileMutex } from '../store/file-mutex.js';
import type { Store } from '../store/types.js';
import { REPORT_DIR, REPORT_INDEX } from '../plan/report-paths.js';
import { assetName, makeAssets, missingAssets, pruneAssets } from './assets.js';
import { type Collected, collectReport, type LiveRun } from './collect.js';
import { renderPage } from './html.js';
import { checkOutDir, ensureRealDir, pageWriteError } from './safe-dir.js';
import type { ReportData } from './types.js';
import { guardMessages } from '../run/event-listener.js';
import { interruptSignal } from '../run/interrupt-signal.js';

export interface ReportOptions {
  readonly cacheDir?: string | undefined;
  readonly strict?: boolean | undefined;
  readonly allowOutsideRoot?: boolean | undefined;
  /** `--no-remote`: local state only. */
  readonly noRemote?: boolean | undefined;
  /** `--fetch-remote`: download the results only the remote cache has (checked as a run checks them). */
  readonly fetchRemote?: boolean | undefined;
}

export interface ReportDeps {
  readonly rt: Runtime;
  /** A remote cache down, refusing, or holding something unusable: said once; the report is still written. */
  readonly onWarning?: ((message: string) => void) | undefined;
  readonly onNotice?: ((message: string) => void) | undefined;
  /** Ctrl-C: the report is abandoned at once, its wait for another report's mutex and reviews not begun included. */
  readonly signal?: AbortSignal | undefined;
}

export interface WrittenReport {
  /** `<out>/report/`. */
  readonly dir: string;
  /** `<out>/report/index.html`. */
  readonly index: string;
  readonly data: ReportData;
  /** Images made for this report, and reused from an earlier one. */
  readonly made: number;
  readonly reused: number;
  /** Results downloaded from the remote cache for this report (`fetchRemote`). */
  readonly fetched: number;
}

/** Load the recipe and write its report (the `kontext report` command). */
export async function writeReport(path: string, options: ReportOptions, deps: ReportDeps): Promise<WrittenReport> {
  // A callback that throws changes nothing; once the report is written, its error is thrown (exit 70).
  const said = guardMessages(deps);
  // Aborted: an InterruptedError (exit 130), as from runRecipe, not the signal's raw reason (walk-am 3).
  const written = await reportOf(path, options, { ...deps, ...said, signal: interruptSignal(deps.signal) });
  return said.unlessFailed(written, `the report was written regardless: ${written.index}`);
}

async function reportOf(path: string, options: ReportOptions, deps: ReportDeps): Promise<WrittenReport> {
  const recipe = await loadRecipe(path, {
    rt: deps.rt,
    strict: options.strict ?? false,
    allowOutsideRoot: options.allowOutsideRoot ?? false,
  });
  const opened = await openStoreOrStandIn(cacheDirFor(recipe, options.cacheDir, deps.rt));
  try {
    const take = options.fetchRemote === true;
    const remote = { recipe, off: options.noRemote, rt: deps.rt, take, onWarning: deps.onWarning };
    const written = await throughRemote(opened.store, { ...remote, onNotice: deps.onNotice }, (store, fromRemote) =>
      writeReportFor(recipe, {
        store,
        rt: deps.rt,
        allowOutsideRoot: options.allowOutsideRoot ?? false,
        // Fetched results are local now: shown as any cached result; peeked ones as in the remote cache.
        inRemote: take ? undefined : fromRemote,
        signal: deps.signal,
        onWait: (pid) =>
          deps.onNotice?.(
            `waiting for another kontext report (pid ${pid === undefined ? '?' : String(pid)}) on ${path}`,
          ),
      }).then((w) => ({ ...w, fetched: take ? fromRemote.size : 0 })),
    );
    // The outputs (and blobs) hashed to judge them are remembered in the cache's source-hash memo,
    // as a run does: a run leaves just-written outputs out of it (too new to trust their mtime),
    // so without this every report would read and hash them all again. Only new entries write.
    // Best effort: the page is written; a memo that could not be saved costs a re-hash next time.
    await opened.store.flush().catch(() => undefined);
    return written;
  } finally {
    await opened.discard();
  }
}

/** Write the report of a loaded recipe with an open store (the watch server calls this on each update). */
export async function writeReportFor(
  recipe: Recipe,
  p: {
    readonly store: Store;
    readonly rt: Runtime;
    readonly allowOutsideRoot: boolean;
    readonly live?: LiveRun | undefined;
    /** Keys whose record only the remote cache holds (peeked, not kept). */
    readonly inRemote?: ReadonlySet<string> | undefined;
    /** Told once when another report is being written into the same folder, before waiting for it. */
    readonly onWait?: ((pid: number | undefined) => void) | undefined;
    /**
     * The served page: told the data as soon as the states are known, when images or reviews are
     * still to make (those not made yet left out), so a finished node shows without waiting for them.
     */
    readonly onEarly?: ((data: ReportData) => void) | undefined;
    /**
     * Images made at once, asked as each starts (default 4). The served page makes one at a time
     * while a run goes on: with 4, sharp held all of libuv's threads and the watch run beside it
     * waited for each file it read (the first request of a 300-node run 25 s late, not 1 s, while
     * the first page's 300 previews were made).
     */
    readonly imagesAtOnce?: (() => number) | undefined;
    /**
     * The served page's Ctrl-C (or its server closing): the build is abandoned at once, its wait
     * for another report's mutex included (up to 10 minutes), and the change reviews and images not
     * begun yet (those under way finish), rejecting with the signal's reason.
     */
    readonly signal?: AbortSignal | undefined;
  },
): Promise<WrittenReport> {
  await checkOutDir(recipe.outDir, recipe.projectRoot, p.allowOutsideRoot);
  const dir = join(recipe.outDir, REPORT_DIR);
  await ensureRealDir(dir, recipe.outDir);
  const index = join(dir, REPORT_INDEX);
  // One report at a time per folder (`kontext report` beside a `--watch --serve` server): each
  // prunes the images its own page does not show, so two at once removed each other's.
  const mutex = {
    pid: p.rt.pid,
    isAlive: p.rt.isAlive,
    staleMs: REPORT_MUTEX_MS,
    timeoutMs: REPORT_MUTEX_MS,
    signal: p.signal,
    heldBy: 'another kontext report (or a --serve server) is writing this report',
  };
  const onWait = (holder: { readonly pid: number | undefined }): void => p.onWait?.(holder.pid);
  return withFileMutex(
    join(dir, `.${REPORT_INDEX}`),
    async () => {
      p.rt.crashPoint?.('report-mutex-held');
      const onEarly = p.onEarly;
      const early =
        onEarly &&
        (async (c: Collected, reviewing: boolean): Promise<void> => {
          const missing = await missingAssets(dir, c.jobs);
          if (reviewing || missing.size > 0) onEarly(missing.size === 0 ? c.data : withoutFailed(c.data, missing));
        });
      const { data: collected, jobs } = await collectReport(recipe, { ...p, early });
      p.signal?.throwIfAborted();
      const assets = await makeAssets(dir, jobs, p.imagesAtOnce, p.signal);
      p.signal?.throwIfAborted();
      const data = assets.failed.size === 0 ? collected : withoutFailed(collected, assets.failed);
      // Rebuildable at any time from local state: no fsync.
      await writeFileAtomic(index, renderPage(data), { sync: false }).catch((e: unknown) => {
        throw pageWriteError(e, index);
      });
      p.rt.crashPoint?.('report-index-written');
      await pruneAssets(dir, new Set(jobs.map(assetName)), p.rt.now());
      return { dir, index, data, made: assets.made, reused: assets.reused, fetched: 0 };
    },
    { ...mutex, onWait },
  );
}

/**
 * A report of thousands of nodes makes its images for minutes the first time: waited for that
 * long, never taken over sooner (unless its writer is dead).
 */
const REPORT_MUTEX_MS = 10 * 60_000;

/**
 * Images not made are left out rather than shown broken: not made yet (`missing`, a served page's
 * early data), or that could not be made (an undecodable file: `failed`, with why, which a node's
 * tile and viewer say, `noThumb`; before, "making its thumbnail…" for ever).
 */
function withoutFailed(data: ReportData, failed: ReadonlySet<string> | ReadonlyMap<string, string>): ReportData {
  const ok = (url: string | null): string | null => (url !== null && failed.has(url) ? null : url);
  const why = (url: string | null): string | undefined =>
    url === null || !('get' in failed) ? undefined : failed.get(url);
  return {
    ...data,
    rows: data.rows.map((r) => ({ ...r, input: ok(r.input), thumb: ok(r.thumb) })),
    nodes: data.nodes.map((n) => {
      const noThumb = why(n.thumb);
      return {
        ...n,
        thumb: ok(n.thumb),
        input: ok(n.input),
        review: n.review && { ...n.review, map: ok(n.review.map) },
        ...(noThumb === undefined ? {} : { noThumb }),
      };
    }),
  };
}
