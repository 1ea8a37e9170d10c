/**
 * Plain lines for logs (CI, a pipe, a file): one line per meaningful event, a verb column
 * first so the log greps well, no cursor movement. Cached and skipped nodes are folded into
 * count lines past a few (see fold.ts). A run with nothing new to say for a while prints a
 * heartbeat naming what is still running, so a slow queue does not look like a hang.
 * Everything goes to `err`, in one stream so a merged CI log keeps its order.
 */
import type { Reporter, RunEvent } from '../../index.js';
import { createStyle, type Style } from './ansi.js';
import { formatDuration } from './duration.js';
import { FOLD_LIMIT, Fold } from './fold.js';
import {
  cachedBody,
  doneBody,
  failedBody,
  retryBody,
  runStartBody,
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
import { formatCount } from './numbers.js';
import { realTimers, type IntervalTimers, type ReporterDeps } from './types.js';

/** Silence after which a heartbeat line is printed, and how often that is checked. */
export const HEARTBEAT_QUIET_MS = 30_000;
const HEARTBEAT_CHECK_MS = 5_000;
const VERB_WIDTH = 7; // "explain" and "skipped" are the longest verbs
const HEARTBEAT_NODES = 3;

export function createPlainReporter(deps: ReporterDeps): Reporter {
  return new PlainReporter(deps);
}

class PlainReporter implements Reporter {
  private readonly state = new LiveState();
  private readonly fold = new Fold(FOLD_LIMIT);
  private readonly style: Style;
  private readonly timers: IntervalTimers;
  private timer: unknown = undefined;
  private lastWrite: number;
  /** When the heartbeat last checked: a check far later than due means the process was stopped. */
  private lastCheck = 0;
  private closed = false;

  constructor(private readonly deps: ReporterDeps) {
    this.style = createStyle(deps.color);
    this.timers = deps.timers ?? realTimers;
    this.lastWrite = deps.now();
  }

  onEvent(e: RunEvent): void {
    if (this.closed) return;
    // A node that printed its `start` line always gets its closing line: only those never started fold.
    const started = (e.type === 'node-skipped' || e.type === 'node-cached') && this.state.running.has(e.node);
    this.state.apply(e, this.deps.now());
    const s = this.style;
    switch (e.type) {
      case 'run-start':
        this.fold.reset(e.cached);
        this.line('run', s.bold, runStartBody(e));
        if (this.timer === undefined) {
          this.lastCheck = this.deps.now();
          this.timer = this.timers.setInterval(() => this.heartbeat(), HEARTBEAT_CHECK_MS);
        }
        return;
      case 'node-start':
        return this.line('start', s.dim, startBody(e));
      case 'node-plan':
        return this.line('explain', s.dim, planBody(e));
      case 'node-state':
        return undefined;
      case 'node-retry':
        return this.line('retry', s.yellow, retryBody(e));
      case 'node-done':
        return this.line('done', s.green, doneBody(e));
      case 'node-cached':
        return started || this.fold.admitCached(e) ? this.line('cached', s.dim, cachedBody(e)) : undefined;
      case 'node-failed':
        return this.line('failed', s.red, failedBody(e));
      case 'node-skipped':
        return started || this.fold.admitSkipped(e) ? this.line('skipped', s.yellow, skippedBody(e)) : undefined;
      case 'warning':
        return this.line(e.drift ? 'drift' : 'warning', s.yellow, warningBody(e));
      case 'notice':
        return this.line('note', s.dim, noticeBody(e));
      case 'watch-cycle': {
        // The cycle it replaces says no more of its nodes under way: close their start lines here.
        const superseded = [...this.state.running.keys()];
        if (superseded.length > 0) this.line('note', s.dim, supersededBody(superseded));
        return this.line('watch', s.bold, watchCycleBody(e));
      }
      case 'watch-error': {
        const [first, ...rest] = watchErrorLines(e);
        this.line(e.kind, s.red, first ?? '');
        for (const r of rest) this.write(r);
        return undefined;
      }
      case 'run-error': // --json only: the CLI prints the error itself (render-error.ts)
        return undefined;
      case 'run-summary':
        this.stopTimer();
        this.drainFold();
        return this.write(summaryLine(e, s, this.state.failedNodes));
      default: {
        const never: never = e;
        throw new Error(`unknown event ${JSON.stringify(never)}`);
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopTimer();
    this.drainFold();
  }

  private line(verb: string, paint: (s: string) => string, body: string): void {
    this.drainFold();
    this.write(`${paint(verb)}${' '.repeat(Math.max(1, VERB_WIDTH + 1 - verb.length))}${body}`);
  }

  private drainFold(): void {
    for (const f of this.fold.drain())
      this.write(`${this.style.dim(f.kind)}${' '.repeat(VERB_WIDTH + 1 - f.kind.length)}${f.body}`);
  }

  private write(text: string): void {
    this.lastWrite = this.deps.now();
    this.deps.err.write(`${text}\n`);
  }

  /** `running 4 nodes: a queued #3 (42.0 s), b running (40.1 s), c submitting (2.0 s), and 1 more` */
  private heartbeat(): void {
    const now = this.deps.now();
    const asleep = now - this.lastCheck - HEARTBEAT_CHECK_MS;
    this.lastCheck = now;
    const running = [...this.state.running.values()];
    // The process was stopped (a laptop asleep): what it knows of the running nodes is from before,
    // and they may well have finished meanwhile; said once, not listed as if still queued.
    if (asleep > 2 * HEARTBEAT_CHECK_MS && running.length > 0) {
      const body = `after ${formatDuration(asleep)} stopped (asleep?): the running nodes are read again now`;
      return this.line('resumed', this.style.dim, body);
    }
    if (running.length === 0 || now - this.lastWrite < HEARTBEAT_QUIET_MS) return;
    const listed = running
      .slice(0, HEARTBEAT_NODES)
      .map((n) => `${n.id} ${n.phase} (${formatDuration(now - n.startedAt)})`);
    if (running.length > HEARTBEAT_NODES) listed.push(`and ${formatCount(running.length - HEARTBEAT_NODES)} more`);
    const count = `${formatCount(running.length)} ${running.length === 1 ? 'node' : 'nodes'}`;
    this.line('running', this.style.dim, `${count}: ${listed.join(', ')}`);
  }

  private stopTimer(): void {
    if (this.timer === undefined) return;
    this.timers.clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** The nodes a replaced watch cycle had under way (their start lines printed, no end line). */
function supersededBody(nodes: readonly string[]): string {
  const shown = nodes.slice(0, 8).join(', ') + (nodes.length > 8 ? `, +${nodes.length - 8} more` : '');
  const count = `${nodes.length} ${nodes.length === 1 ? 'node' : 'nodes'}`;
  const fate = 'the next cycle waits for those it still wants, the rest are abandoned';
  return `cycle replaced with ${count} under way (${shown}): ${fate}`;
}
