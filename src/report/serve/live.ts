/**
 * What a watch session's run events say that the files do not yet: which nodes are about to
 * run or running (from the cycle's `to_run` and `node-start`), which failed and why, and how
 * long each request took. The report data is rebuilt from local state on top of this.
 */
import type { RunEvent } from '../../run/events.js';
import type { LiveOverrides } from '../collect.js';

type Override = { readonly state: 'running' | 'failed'; readonly why: string | null };

export class LiveState implements LiveOverrides {
  readonly states = new Map<string, Override>();
  readonly ms = new Map<string, number>();
  /**
   * Nodes the running cycle executed: its run reviews each (run/drift.ts's `DriftCheck`) and
   * stores the review with the record before its `run-summary`, so the page makes none of its own.
   */
  readonly reviewing = new Set<string>();
  /** An invalid recipe's problems while editing (the last good plan stays on the page). */
  problems: readonly string[] = [];

  /** Apply one event; true when the page should be rebuilt. */
  apply(e: RunEvent): boolean {
    switch (e.type) {
      case 'watch-cycle':
        this.problems = [];
        for (const [id, o] of this.states) if (o.state === 'running') this.states.delete(id);
        for (const n of e.to_run) this.states.set(n.node, { state: 'running', why: null });
        return true;
      case 'watch-error':
        this.problems = e.problems;
        return true;
      case 'node-start':
        this.states.set(e.node, { state: 'running', why: null });
        return true;
      case 'node-done':
        this.states.delete(e.node);
        this.ms.set(e.node, e.ms);
        this.reviewing.add(e.node);
        return true;
      case 'node-cached':
      case 'node-skipped':
        this.states.delete(e.node);
        // Not a result of this run's (a superseded cycle's node taken from the cache now): the page's to review.
        this.reviewing.delete(e.node);
        return true;
      case 'node-failed':
        this.states.set(e.node, { state: 'failed', why: e.message });
        return true;
      case 'run-summary':
        // Whatever the run did not finish (stopped, superseded) is back to what the files say.
        for (const [id, o] of this.states) if (o.state === 'running') this.states.delete(id);
        // The run awaited its reviews before this: the records hold them, or they failed (warned).
        this.reviewing.clear();
        return true;
      default:
        return false;
    }
  }
}
