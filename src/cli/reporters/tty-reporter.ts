/**
 * The terminal view: finished nodes scroll by as permanent lines (past the first
 * {@link DONE_FOLD_LIMIT} of a run, counted instead, unless `--explain` listed their starts),
 * and below them a live block (header + running nodes) is redrawn in place at most ~10 times a
 * second. At each run's summary the block is replaced by the summary line, so watch mode's
 * cycles stack up as a readable history. Everything goes to `err`: stdout stays free for data.
 */
import type { Reporter, RunEvent } from '../../index.js';
import { createStyle, cursor, type Style } from './ansi.js';
import { DONE_FOLD_LIMIT, Fold } from './fold.js';
import {
  cachedBody,
  doneBody,
  failedBody,
  retryBody,
  skippedBody,
  startBody,
  summaryLine,
  noticeBody,
  warningBody,
  planBody,
  watchCycleBody,
  watchErrorLines,
} from './lines.js';
import { LiveState } from './live-state.js';
import { renderFrame } from './tty-frame.js';
import { realTimers, type IntervalTimers, type ReporterDeps } from './types.js';

/** Redraw period: fast enough to feel live, slow enough to cost nothing. */
export const REDRAW_MS = 100;

export function createTtyReporter(deps: ReporterDeps): Reporter {
  return new TtyReporter(deps);
}

class TtyReporter implements Reporter {
  private readonly state = new LiveState();
  // Cached nodes are always counted here: the header already shows how many.
  private readonly fold: Fold;
  private readonly style: Style;
  private readonly timers: IntervalTimers;
  private pending: string[] = [];
  private liveLines = 0;
  private cursorHidden = false;
  private timer: unknown = undefined;
  private closed = false;

  constructor(private readonly deps: ReporterDeps) {
    this.style = createStyle(deps.color);
    this.timers = deps.timers ?? realTimers;
    // With --explain every node's start has its line, so its end has one too.
    this.fold = new Fold(0, deps.explain === true ? Number.POSITIVE_INFINITY : DONE_FOLD_LIMIT);
  }

  onEvent(e: RunEvent): void {
    if (this.closed) return;
    this.state.apply(e, this.deps.now());
    this.record(e);
    if (e.type === 'run-summary') {
      this.stopTimer();
      this.drainFold();
      this.draw([summaryLine(e, this.style, this.state.failedNodes)]);
    } else if (e.type === 'notice' && this.timer === undefined) {
      this.draw(); // a note while no run is live (a watch session ending after its last summary): shown now
    } else if (this.state.active && this.timer === undefined) {
      this.timer = this.timers.setInterval(() => this.draw(), REDRAW_MS);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopTimer();
    this.state.active = false;
    this.drainFold();
    this.draw();
  }

  /** Queue the permanent line(s) an event deserves; they are written at the next draw. */
  private record(e: RunEvent): void {
    const s = this.style;
    switch (e.type) {
      case 'run-start':
        return this.fold.reset(e.cached);
      case 'node-start':
        return this.deps.explain === true ? this.push(`${s.dim('→')} ${startBody(e)}`) : undefined;
      case 'node-plan':
        return this.push(`${s.dim('?')} ${planBody(e)}`);
      case 'node-retry':
        return this.state.running.has(e.node) ? undefined : this.push(`${s.yellow('↻')} ${retryBody(e)}`);
      case 'node-done':
        return this.fold.admitDone() ? this.push(`${s.green('✓')} ${doneBody(e)}`) : undefined;
      case 'node-cached':
        return this.fold.admitCached(e) ? this.push(`${s.dim('·')} ${cachedBody(e)}`) : undefined;
      case 'node-failed':
        return this.push(`${s.red('✗')} ${failedBody(e)}`);
      case 'node-skipped':
        return this.fold.admitSkipped(e) ? this.push(`${s.dim('-')} ${skippedBody(e)}`) : undefined;
      case 'warning':
        return this.push(`${s.yellow('!')} ${e.drift ? 'drift' : 'warning'}: ${warningBody(e)}`);
      case 'notice':
        return this.push(`${s.dim('·')} ${noticeBody(e)}`);
      case 'watch-cycle':
        return this.push(`${s.bold('⟳')} ${watchCycleBody(e)}`);
      case 'watch-error':
        for (const [i, l] of watchErrorLines(e).entries()) this.push(i === 0 ? `${s.red('✗')} ${l}` : l);
        return undefined;
      case 'node-state':
      case 'run-summary':
      case 'run-error': // --json only: the CLI prints the error itself (render-error.ts)
        return undefined;
      default: {
        const never: never = e;
        throw new Error(`unknown event ${JSON.stringify(never)}`);
      }
    }
  }

  /**
   * Folded counts are written only before another permanent line or at the end, not per
   * redraw: a trickle of cached nodes makes one count line, not one per tick (the header
   * shows the running total meanwhile).
   */
  private push(line: string): void {
    this.drainFold();
    this.pending.push(line);
  }

  private drainFold(): void {
    for (const f of this.fold.drain())
      this.pending.push(
        f.kind === 'done'
          ? `${this.style.green('✓')} ${f.body}`
          : `${this.style.dim(f.kind === 'cached' ? '·' : '-')} ${f.kind} ${f.body}`,
      );
  }

  /** Erase the live block, write what finished, draw the block again: one write, no flicker. */
  private draw(extra: readonly string[] = []): void {
    // Read at each redraw: a terminal resized meanwhile is drawn at its new size. A pseudo-terminal
    // may report 0 × 0 (e.g. under `script`): treat that as unknown.
    const columns = positive(this.deps.columns) ?? positive(this.deps.err.columns) ?? 80;
    const rows = positive(this.deps.rows) ?? positive(this.deps.err.rows);
    const frame = renderFrame(this.state, { now: this.deps.now(), columns, rows, style: this.style });
    let s = cursor.eraseLinesAbove(this.liveLines);
    for (const line of [...this.pending, ...extra]) s += `${line}\n`;
    this.pending = [];
    if (frame.length > 0 && !this.cursorHidden) {
      s = cursor.hide + s;
      this.cursorHidden = true;
    }
    for (const line of frame) s += `${line}\n`;
    if (frame.length === 0 && this.cursorHidden) {
      s += cursor.show;
      this.cursorHidden = false;
    }
    this.liveLines = frame.length;
    if (s !== '') this.deps.err.write(s);
  }

  private stopTimer(): void {
    if (this.timer === undefined) return;
    this.timers.clearInterval(this.timer);
    this.timer = undefined;
  }
}

function positive(n: number | undefined): number | undefined {
  return n !== undefined && n > 0 ? n : undefined;
}
