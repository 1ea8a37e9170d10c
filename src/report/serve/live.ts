/**
 * What a watch session's run events say that the files do not yet: which nodes are about to
 * run or running (from the cycle's `to_run` and `node-start`), which failed and why, which
 * finished since (`done`), and how long each request took. The report data is rebuilt from
 * local state; these are laid over it (`overlay.ts`) at every push, the pushes between rebuilds
 * included.
 */
import type { RunEvent } from '../../run/events.js';
import { escapeUnseen } from '../../util/hidden-chars.js';
import type { LiveRun } from '../collect.js';

type Override = {
  /** `skipped`: its `why` the event's reason (`upstream-failed`, …), put in words by `overlay`. */
  readonly state: 'running' | 'failed' | 'skipped';
  readonly why: string | null;
  /** A failure's error code and hint (the viewer says them with its reason). */
  readonly code?: string;
  readonly hint?: string;
};

/** A node the run finished: its output path and seed, and the event's number (`LiveState.seq`). */
export interface Done {
  readonly seq: number;
  readonly output: string;
  readonly seed: number;
}

export class LiveState implements LiveRun {
  readonly states = new Map<string, Override>();
  readonly ms = new Map<string, number>();
  /**
   * Nodes finished since the data shown was read: the page shows each done (its new image not
   * made yet) until data read after its event is in (`dropDone`).
   */
  readonly done = new Map<string, Done>();
  /**
   * Nodes the running cycle executed: its run reviews each (run/drift.ts's `DriftCheck`) and
   * stores the review with the record before its `run-summary`, so the page makes none of its own.
   */
  readonly reviewing = new Set<string>();
  /** An invalid recipe's problems while editing (the last good plan stays on the page). */
  problems: readonly string[] = [];
  /** Why the latest cycle stopped before its run (over `--max-cost`, …): the recipe is valid, the page shows it. */
  stopped: readonly string[] = [];
  /**
   * A run is going on (from a cycle's start to its summary; at first too: the server starts just
   * before the watch session's first cycle): the page's images are made one at a time meanwhile.
   */
  runGoing = true;
  /** How many events changed this state: a build that starts at `seq` n has read what events up to n wrote. */
  seq = 0;

  /** Apply one event; true when the page should be rebuilt. */
  apply(e: RunEvent): boolean {
    const changed = this.#apply(e);
    if (changed) this.seq++;
    return changed;
  }

  #apply(e: RunEvent): boolean {
    switch (e.type) {
      case 'watch-cycle':
        this.runGoing = true;
        this.problems = [];
        this.stopped = [];
        for (const [id, o] of this.states) if (o.state === 'running') this.states.delete(id);
        for (const n of e.to_run) {
          this.states.set(n.node, { state: 'running', why: null });
          this.done.delete(n.node);
        }
        return true;
      case 'watch-error':
        // Lines that may quote a source path or a server's words: written out as the terminal shows them (review-y 4).
        this.problems = e.kind === 'invalid' ? e.problems.map(escapeUnseen) : [];
        this.stopped = e.kind === 'stopped' ? e.problems.map(escapeUnseen) : [];
        return true;
      case 'node-start':
        this.states.set(e.node, { state: 'running', why: null });
        this.done.delete(e.node);
        return true;
      case 'node-done':
        this.states.delete(e.node);
        this.ms.set(e.node, e.ms);
        this.reviewing.add(e.node);
        this.done.set(e.node, { seq: this.seq + 1, output: e.output, seed: e.seed });
        return true;
      case 'node-skipped':
        // Not new work: left out of this run (an upstream node failed, the run stopped), said so until it runs.
        this.states.set(e.node, { state: 'skipped', why: e.reason });
        this.done.delete(e.node);
        this.reviewing.delete(e.node);
        return true;
      case 'node-cached':
        this.states.delete(e.node);
        this.done.delete(e.node);
        // Not a result of this run's (a superseded cycle's node taken from the cache now): the page's to review.
        this.reviewing.delete(e.node);
        return true;
      case 'node-failed':
        // An output changed by hand, kept: the files say `modified`, as the static report does.
        if (e.code === 'E_OUTPUT_CHANGED') this.states.delete(e.node);
        // A server's words, shown as the terminal shows them: a bidi control or a control character written out.
        else
          this.states.set(e.node, {
            state: 'failed',
            why: escapeUnseen(e.message),
            code: escapeUnseen(e.code),
            ...(e.hint === undefined ? {} : { hint: escapeUnseen(e.hint) }),
          });
        this.done.delete(e.node);
        return true;
      case 'run-summary':
        this.runGoing = false;
        // Whatever the run did not finish (stopped, superseded) is back to what the files say.
        for (const [id, o] of this.states) if (o.state === 'running') this.states.delete(id);
        // The run awaited its reviews before this: the records hold them, or they failed (warned).
        this.reviewing.clear();
        return true;
      default:
        return false;
    }
  }

  /** Data read after event `seq` shows the nodes done up to it as the files have them. */
  dropDone(seq: number): void {
    for (const [id, d] of this.done) if (d.seq <= seq) this.done.delete(id);
  }
}
