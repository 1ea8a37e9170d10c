/** What every reporter is built from: sinks, colour, clock, terminal size and timers. */
import type { TextSink } from '../../index.js';

/** `setInterval`/`clearInterval`, injectable so tests drive redraws and prove timers end. */
export interface IntervalTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** Node's timers, `unref`'d: a progress redraw must never keep the process alive. */
export const realTimers: IntervalTimers = {
  setInterval(fn, ms) {
    const handle = setInterval(fn, ms);
    handle.unref();
    return handle;
  },
  clearInterval(handle) {
    clearInterval(handle as ReturnType<typeof setInterval>);
  },
};

export interface ReporterDeps {
  /** Machine output only (`--json` NDJSON). Human reporters never write here. */
  readonly out: TextSink;
  /** Everything for people: progress, warnings, failures, the summary. */
  readonly err: TextSink;
  /** ANSI colour; the CLI decides (TTY and `NO_COLOR`). */
  readonly color: boolean;
  /** Milliseconds on a clock that only goes forward (`rt.monotonic`); only differences are used. */
  readonly now: () => number;
  /** Terminal width for the live view; defaults to `err.columns` at each redraw, then 80. */
  readonly columns?: number;
  /**
   * Terminal height (defaults to `err.rows` at each redraw): the live view lists at most `rows - 3`
   * running nodes (and never more than 8).
   */
  readonly rows?: number;
  /** Say why each node runs (`--explain`). */
  readonly explain?: boolean;
  readonly timers?: IntervalTimers;
}
