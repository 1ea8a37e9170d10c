/**
 * The review sheet's data: one JSON object, embedded once in the page and rendered by its small
 * inline script (docs/architecture.md#the-review-report). Compact on purpose: 1,000 nodes must
 * stay well under 2 MB, so a pass's prompt is stored once and nodes point at their pass and row.
 * Every URL is relative to `<out>/report/` (works from `file://` and from the watch server).
 */

/**
 * A cell's state: the run's resolved states (src/run/status.ts) plus what a live run reports
 * (`running`, `failed`, and `skipped`: left out of the run, an upstream node having failed, why
 * saying which).
 */
export type CellState = 'up-to-date' | 'cached' | 'remote' | 'not-run' | 'modified' | 'running' | 'failed' | 'skipped';

/** A node's change review (`RunRecord.review`), when its run record has one. */
interface CellReview {
  readonly metric: string;
  readonly threshold: number;
  readonly changed_pct: number;
  readonly chain_changed_pct: number | null;
  /** The change map copied into the report (`maps/<sha256>.png`), when the blob is in the cache. */
  readonly map: string | null;
  readonly map_sha256: string;
  readonly width: number;
  readonly height: number;
  /** How the input is laid on the output's frame (RunReview.fit); absent: centre-cropped. */
  readonly fit?: 'fill' | 'contain' | undefined;
}

export interface ReportPass {
  readonly id: string;
  readonly prompt: string;
  /** The pass or source it reads. */
  readonly from: string;
  /** True when `from` is a source, not a pass. */
  readonly fromSource: boolean;
  /** Roots are 1. */
  readonly depth: number;
  /** True when this column does not continue the column before it: a branch of the pass tree starts here. */
  readonly branch: boolean;
  /** The pass's `max_change` (percent), when set: a node over it has drift. */
  readonly maxChange: number | null;
  /** True when the variants start at this pass (one of them can be picked). */
  readonly ownsVariants: boolean;
  /** The variant its `pick:` chose, or null. */
  readonly picked: number | null;
}

export interface ReportRow {
  readonly source: string;
  /** Glob instance, `null` for a single file or URL source. */
  readonly instance: string | null;
  /** The source image as the report shows it (`inputs/<sha256>.webp`), when local. */
  readonly input: string | null;
  /** Its thumbnail (`thumbs/<sha256>.webp`). */
  readonly thumb: string | null;
}

export interface ReportNode {
  readonly id: string;
  /** Index into `passes`. */
  readonly p: number;
  /** Index into `rows`. */
  readonly r: number;
  readonly variant: number | null;
  /** The variant its pass's `pick:` chose (the passes after it take this one). */
  readonly picked: boolean;
  readonly seed: number | null;
  readonly state: CellState;
  /** Why it will run (`not-run`), or the failure message (`failed`). */
  readonly why: string | null;
  /** A failed node's error code (`E_…`) and hint, as the run's event said them (served pages). */
  readonly code?: string;
  readonly hint?: string;
  /** The full image (`../<pass>/<file>`), when it is in the out folder. */
  readonly img: string | null;
  /** The thumbnail (`thumbs/<sha256>.webp`). */
  readonly thumb: string | null;
  /**
   * Why the image has no thumbnail: the report could not make one (`the image cannot be decoded
   * (…)`, `the image is too large to show (…)`), which also tells the browser cannot show it; no path.
   */
  readonly noThumb?: string;
  /** True when the image shown is an older result (the node has to run again). */
  readonly stale: boolean;
  /**
   * Served pages: why a node the live run shows running, failed or skipped had to run again (the
   * not-run reason of the data under it), for its viewer's "showing the previous result"; absent: not known.
   */
  readonly staleWhy?: string;
  /**
   * The image this pass edited: the upstream node's output or the source. When the upstream cell
   * shows other bytes than this node's record was made from (its output changed by hand, or run
   * again since), a preview of those bytes (`inputs/<sha256>.webp`) from the cache.
   */
  readonly input: string | null;
  /** Why `input` is not the image this node was made from and measured against (the cache lacks that one). */
  readonly beforeNote?: string;
  /** The upstream node's id, `null` for a root. */
  readonly from: string | null;
  readonly finishedAt: string | null;
  /** Wall time of its request in ms, when a live run reported it. */
  readonly ms: number | null;
  readonly costUsd: number | null;
  readonly review: CellReview | null;
  /**
   * Why the result has no review, when the report could not make one for an image it cannot use
   * (`the output cannot be decoded (…)`, `the input is transparent everywhere: …`): no file path.
   */
  readonly noReview?: string;
  readonly drift: boolean;
  /**
   * The earlier node showing the very same result (one cache key: byte-identical sources with a
   * fixed seed, and the nodes below them): one paid request, counted once in `costUsd` (absent: none).
   */
  readonly sameResultAs?: string;
}

interface ReportCounts {
  readonly nodes: number;
  readonly 'up-to-date': number;
  readonly cached: number;
  /** Only in the remote cache (peeked): a run downloads them without a request. */
  readonly remote: number;
  readonly 'not-run': number;
  readonly modified: number;
  readonly running: number;
  readonly failed: number;
  readonly skipped: number;
  readonly drift: number;
}

export interface ReportData {
  readonly v: 1;
  readonly recipe: {
    readonly name: string;
    readonly file: string;
    readonly provider: string;
    /**
     * Served pages only: sha256 of the recipe bytes this data was built from. A pick sends it
     * back, and is refused when the file on disk no longer has them (the page is stale).
     */
    readonly sha256?: string;
  };
  readonly generatedAt: string;
  readonly counts: ReportCounts;
  /** Sum of the known costs of the results shown; `null` when no node's cost is known. */
  readonly costUsd: number | null;
  /** Results shown whose price is not known, so not in `costUsd` (absent: none). */
  readonly costUnpriced?: number;
  /** Prompt-lint warnings (`lint/…`), one line each (`file:line:col: message [rule]`). */
  readonly warnings: readonly string[];
  /**
   * The recipe's other warnings (a glob reaching one file by two paths, `glob-same-file`; a save
   * path's extension, `save-format`), listed apart from prompt-lint's; absent: none.
   */
  readonly recipeWarnings?: readonly string[];
  /**
   * Files of branches a `pick:` leaves out (not cells of the grid) that hold other bytes than the
   * lock records, one line each, as `kontext status` says them (run/picked-out.ts); absent: none.
   */
  readonly pickedOut?: readonly string[];
  /**
   * Served pages only, while the recipe on disk cannot be used (mid-edit, invalid): why, one line
   * each (`file:line:col: message`); the rest is the last good data. A pick is refused meanwhile.
   */
  readonly errors?: readonly string[];
  /**
   * Served pages only, while the page cannot be rebuilt though the recipe can be used (it cannot be
   * written where it goes: exit 73; a bug in the report code): why, one line each; the rest is the
   * last data built. Picks go on (they write the recipe, not the page).
   */
  readonly buildErrors?: readonly string[];
  /**
   * Served pages only: the latest watch cycle stopped before its run (over `--max-cost`, a source
   * hosting refuses, …), why, one line each; the recipe is valid and the page shows it as saved.
   */
  readonly stopped?: readonly string[];
  /** Served pages only, before the first data is in: the page says it is being built (its events bring the data). */
  readonly building?: true;
  readonly passes: readonly ReportPass[];
  readonly rows: readonly ReportRow[];
  readonly nodes: readonly ReportNode[];
}
