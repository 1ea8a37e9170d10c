/**
 * What is going on right now, folded from the event stream: counts and the running nodes
 * with their remote phase. The tty view draws it; the plain reporter's heartbeat reads it.
 * Times are taken from the reporter's clock when an event arrives (events carry run-relative
 * `t`, but the live view needs "now" between events too).
 */
import type { RunEvent } from '../../index.js';
import { phaseWords } from './words.js';

export interface RunningNode {
  readonly id: string;
  readonly startedAt: number;
  /** Phase in words (`queued #3`), `starting` until the first state event. */
  phase: string;
  /** `retry 2` after a retry, until the next phase change. */
  retry: string | undefined;
}

export class LiveState {
  recipe = '';
  toRun: number | undefined;
  startedAt = 0;
  /** Between run-start and run-summary (or close). */
  active = false;
  done = 0;
  cached = 0;
  failed = 0;
  skipped = 0;
  /** The nodes that failed this run, in order: the summary names the first few. */
  readonly failedNodes: string[] = [];
  /** In start order: the live view lists the oldest first. */
  readonly running = new Map<string, RunningNode>();

  apply(e: RunEvent, now: number): void {
    switch (e.type) {
      case 'run-start':
        this.begin(e.recipe, e.to_run, now);
        break;
      case 'node-start':
        this.running.set(e.node, { id: e.node, startedAt: now, phase: 'starting', retry: undefined });
        break;
      case 'node-state': {
        const node = this.running.get(e.node) ?? this.adopt(e.node, now);
        node.phase = phaseWords(e);
        node.retry = undefined;
        break;
      }
      case 'node-retry': {
        const node = this.running.get(e.node);
        if (node) node.retry = `retry ${e.attempt}`;
        break;
      }
      case 'node-done':
        this.finish(e.node, 'done');
        break;
      case 'node-cached':
        this.finish(e.node, 'cached');
        break;
      case 'node-failed':
        this.finish(e.node, 'failed');
        this.failedNodes.push(e.node);
        break;
      case 'node-skipped':
        this.finish(e.node, 'skipped');
        break;
      case 'warning':
      case 'notice':
      case 'node-plan':
      case 'watch-cycle':
      case 'watch-error':
      case 'run-error':
        break;
      case 'run-summary':
        this.end(e);
        break;
      default: {
        const never: never = e;
        throw new Error(`unknown event ${JSON.stringify(never)}`);
      }
    }
  }

  private begin(recipe: string, toRun: number, now: number): void {
    this.recipe = recipe;
    this.toRun = toRun;
    this.startedAt = now;
    this.active = true;
    this.done = this.cached = this.failed = this.skipped = 0;
    this.failedNodes.length = 0;
    this.running.clear();
  }

  /** A state event for a node that never started (e.g. re-attached): track it anyway. */
  private adopt(id: string, now: number): RunningNode {
    const node: RunningNode = { id, startedAt: now, phase: 'starting', retry: undefined };
    this.running.set(id, node);
    return node;
  }

  private finish(id: string, outcome: 'done' | 'cached' | 'failed' | 'skipped'): void {
    this.running.delete(id);
    this[outcome]++;
  }

  /** The summary's counts are authoritative. */
  private end(e: Extract<RunEvent, { type: 'run-summary' }>): void {
    this.done = e.done;
    this.cached = e.cached;
    this.failed = e.failed;
    this.skipped = e.skipped;
    this.running.clear();
    this.active = false;
  }
}
