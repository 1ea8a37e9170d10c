/**
 * A run's tally (scheduler.ts): its counts and exit code, the nodes whose request is paid or maybe
 * paid but not settled (listed in the summary), and when nothing new may start: Ctrl-C, a stop
 * (a superseding watch cycle), a failure without `--keep-going`, or the run's `submitStop` (a
 * shard whose remote cache can take none of its results).
 */
import { ExitCode, InterruptedError, worstExitCode, type ExitCode as Code } from '../errors.js';
import type { PlanNode } from '../plan/types.js';
import type { UntimedRunEvent } from './events.js';
import { isHandEdited } from './hand-edits.js';
import { NotSubmittedAgain } from './node-slot.js';
import { failureOf, type NodeOutcome, type RunCounts } from './outcome.js';
import { notJournaledId, requestKept } from './remote-outcome.js';
import { leftUncertain, UncertainSubmitError } from './submit-claim.js';

export type SkipReason = 'upstream-failed' | 'stopped' | 'interrupted' | 'remote-unusable';

export class RunTally {
  readonly counts: RunCounts = { done: 0, cached: 0, failed: 0, skipped: 0, submitted: 0 };
  exitCode: Code = ExitCode.OK;
  /** Nodes whose submit may have been accepted, unanswered (submit-claim.ts's leftUncertain). */
  readonly #uncertain: string[] = [];
  /** Nodes that failed with their paid request still journaled, outcome unknown (remote-outcome.ts's requestKept). */
  readonly #outcomeUnknown: string[] = [];
  /** Of those, the ones whose request id never reached the journal: node → request id. */
  readonly #notJournaled = new Map<string, string>();
  /** Set by a failure without `--keep-going`: ends a submit's wait between attempts too ({@link stopSubmits}). */
  readonly #failedStop = new AbortController();
  /** {@link stopSubmits}: the failure's stop, or the run's `submitStop`, whichever comes first. */
  readonly #stopSubmits: AbortSignal;

  constructor(
    private readonly o: {
      /** Ctrl-C. */
      readonly signal: AbortSignal;
      /** The run is stopped (a superseding watch cycle). */
      readonly stop: AbortSignal;
      readonly keepGoing: boolean;
      readonly emit: (e: UntimedRunEvent) => void;
      /** Submit nothing more (RunDeps.submitStop): its reason an `InterruptedError`. */
      readonly submitStop?: AbortSignal | undefined;
    },
  ) {
    const { submitStop } = o;
    this.#stopSubmits = submitStop ? AbortSignal.any([this.#failedStop.signal, submitStop]) : this.#failedStop.signal;
  }

  /** Why nothing new may start now, if so. */
  halted(): SkipReason | null {
    if (this.o.signal.aborted) return 'interrupted';
    if (this.o.stop.aborted || this.#failedStop.signal.aborted) return 'stopped';
    if (this.o.submitStop?.aborted === true) return 'remote-unusable';
    return null;
  }

  /**
   * Fires when a failure stops the run (no `--keep-going`) or its `submitStop` does: a submit
   * waiting out a refusal's `Retry-After` then sends nothing (execute.ts). Not the watch stop: a
   * superseded cycle's request may be joined by the next cycle.
   */
  get stopSubmits(): AbortSignal {
    return this.#stopSubmits;
  }

  skip(node: PlanNode, reason: SkipReason): NodeOutcome {
    this.counts.skipped++;
    this.o.emit({ type: 'node-skipped', node: node.id, reason });
    return { kind: 'skipped' };
  }

  /**
   * A failure the stop or the interrupt caused (its wait or submit cut short) is a skip, still
   * listed when paid or maybe paid. Any other failure while the run is being stopped is the
   * node's own (a request already under way failed at the API, its submit was refused): a
   * failure, its reason shown, as in-flight work finishes and is recorded.
   */
  failOrSkip(node: PlanNode, e: unknown): NodeOutcome {
    const halted = this.halted();
    if (!halted || !this.#causedByHalt(e)) return this.fail(node, e);
    if (requestKept(e, node.id)) this.#kept(node, e); // its request paid, still at the API
    if (leftUncertain(e, node.id)) this.#uncertain.push(node.id); // its submit cut off: maybe paid
    return this.skip(node, halted);
  }

  /**
   * Whether `e`, or an error it was caused by, is why the run halted (a signal's reason), an abort,
   * or a submit the halt held back (`NotSubmittedAgain`).
   */
  #causedByHalt(e: unknown): boolean {
    const reasons = [
      this.o.signal.reason,
      this.o.stop.reason,
      this.#failedStop.signal.reason,
      this.o.submitStop?.reason,
    ];
    for (let err = e, depth = 0; err !== undefined && err !== null && depth < 8; depth++) {
      if (reasons.includes(err) || err instanceof InterruptedError || err instanceof NotSubmittedAgain) return true;
      if (err instanceof Error && err.name === 'AbortError') return true;
      err = (err as { cause?: unknown }).cause;
    }
    return false;
  }

  fail(node: PlanNode, e: unknown): NodeOutcome {
    const failure = failureOf(e);
    this.exitCode = worstExitCode(this.exitCode, failure.exit_code);
    this.counts.failed++;
    if (leftUncertain(e, node.id)) this.#uncertain.push(node.id);
    if (requestKept(e, node.id)) this.#kept(node, e);
    // A leftover of an earlier run is not a new failure, and a refused hand-edited output fails its own
    // node only: neither stops the others.
    if (!this.o.keepGoing && !(e instanceof UncertainSubmitError) && !isHandEdited(e))
      this.#failedStop.abort(new InterruptedError('stopped: another node failed'));
    this.o.emit({ type: 'node-failed', node: node.id, ...failure });
    return { kind: 'failed', exitCode: failure.exit_code };
  }

  /** The nodes paid or maybe paid and not settled, sorted, for the summary. */
  unsettled(): {
    readonly uncertain: string[];
    readonly outcomeUnknown: string[];
    readonly notJournaled: ReadonlyMap<string, string>;
  } {
    const outcomeUnknown = [...this.#outcomeUnknown].sort();
    return { uncertain: [...this.#uncertain].sort(), outcomeUnknown, notJournaled: this.#notJournaled };
  }

  #kept(node: PlanNode, e: unknown): void {
    this.#outcomeUnknown.push(node.id);
    const requestId = notJournaledId(e, node.id);
    if (requestId !== undefined) this.#notJournaled.set(node.id, requestId);
  }
}
