/**
 * Folding of cached and skipped nodes (and, on a terminal, of finished ones): a re-run of a
 * 10,000-node recipe must not print 10,000 "cached" lines, nor a first run 10,000 "done" lines
 * into the terminal's scrollback. A few are listed one by one; beyond that they become a count
 * line, flushed before the next line printed (so the log stays in order) and at the summary.
 */
import type { RunEventOf } from '../../index.js';
import { formatCount } from './numbers.js';
import { skipWords } from './words.js';

type SkipReason = RunEventOf<'node-skipped'>['reason'];

/** Cached or skipped nodes listed one by one, per run, before they are counted instead. */
export const FOLD_LIMIT = 10;

/**
 * Finished nodes listed one by one per run on a terminal, before they are counted instead: a
 * screenful, the size of run someone watches node by node. A failed node always has its line.
 */
export const DONE_FOLD_LIMIT = 50;

export interface FoldedLine {
  readonly kind: 'cached' | 'skipped' | 'done';
  readonly body: string;
}

export class Fold {
  private cachedBudget: number;
  private skippedBudget = FOLD_LIMIT;
  private doneBudget: number;
  private listedCached = false;
  private cached = 0;
  private done = 0;
  private restored = 0;
  private readonly skipped = new Map<SkipReason, number>();

  /**
   * `cachedLimit`: how many cached nodes may be listed individually (0: always counted);
   * `doneLimit`: how many finished ones (default: all).
   */
  constructor(
    private readonly cachedLimit: number,
    private readonly doneLimit = Number.POSITIVE_INFINITY,
  ) {
    this.cachedBudget = cachedLimit;
    this.doneBudget = doneLimit;
  }

  /** A run starts. When it already expects more cached nodes than the limit, list none of them. */
  reset(expectedCached: number): void {
    this.cachedBudget = expectedCached > this.cachedLimit ? 0 : this.cachedLimit;
    this.skippedBudget = FOLD_LIMIT;
    this.doneBudget = this.doneLimit;
    this.listedCached = false;
  }

  /** True when this finished node gets a line of its own; otherwise it is counted. */
  admitDone(): boolean {
    if (this.doneBudget > 0) {
      this.doneBudget--;
      return true;
    }
    this.done++;
    return false;
  }

  /** True when this cached node gets a line of its own; otherwise it is counted. */
  admitCached(e: RunEventOf<'node-cached'>): boolean {
    if (this.cachedBudget > 0) {
      this.cachedBudget--;
      this.listedCached = true;
      return true;
    }
    this.cached++;
    if (e.restored) this.restored++;
    return false;
  }

  admitSkipped(e: RunEventOf<'node-skipped'>): boolean {
    if (this.skippedBudget > 0) {
      this.skippedBudget--;
      return true;
    }
    this.skipped.set(e.reason, (this.skipped.get(e.reason) ?? 0) + 1);
    return false;
  }

  /** Count lines for everything folded since the last drain. */
  drain(): FoldedLine[] {
    const lines: FoldedLine[] = [];
    if (this.done > 0) lines.push({ kind: 'done', body: `${formatCount(this.done)} more ${nodes(this.done)} done` });
    if (this.cached > 0) {
      const restored = this.restored > 0 ? ` (${formatCount(this.restored)} restored from the cache)` : '';
      const more = this.listedCached ? 'more ' : '';
      lines.push({
        kind: 'cached',
        body: `${formatCount(this.cached)} ${more}${nodes(this.cached)} up to date${restored}`,
      });
    }
    if (this.skipped.size > 0) {
      const total = [...this.skipped.values()].reduce((a, b) => a + b, 0);
      const why = [...this.skipped].map(([r, n]) =>
        this.skipped.size === 1 ? skipWords(r) : `${formatCount(n)} ${skipWords(r)}`,
      );
      lines.push({ kind: 'skipped', body: `${formatCount(total)} more ${nodes(total)} (${why.join(', ')})` });
    }
    this.done = 0;
    this.cached = 0;
    this.restored = 0;
    this.skipped.clear();
    return lines;
  }
}

function nodes(n: number): string {
  return n === 1 ? 'node' : 'nodes';
}
