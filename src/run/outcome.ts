/** What the scheduler reports: each node's outcome and the run's counts. */
import { ExitCode, type ExitCode as Code, worstExitCode } from '../errors.js';
import { osLimitOf } from '../util/os-limits.js';
import type { UpstreamOutput } from './inputs.js';
import type { Spend } from './spend.js';

export type NodeOutcome =
  | { readonly kind: 'ok'; readonly output: UpstreamOutput; readonly path: string }
  | { readonly kind: 'failed'; readonly exitCode: Code }
  | { readonly kind: 'skipped' };

export interface RunCounts {
  done: number;
  cached: number;
  failed: number;
  skipped: number;
  submitted: number;
}

export interface RunSummary extends Readonly<RunCounts> {
  readonly exitCode: Code;
  readonly ms: number;
  readonly outDir: string;
  readonly outcomes: ReadonlyMap<string, NodeOutcome>;
  /** Nodes whose submit may have been accepted without its request id reaching the journal (maybe paid). */
  readonly uncertain: readonly string[];
  /**
   * Nodes whose request id is journaled (paid for, or maybe) but whose outcome this run could not
   * settle (`E_OUTCOME_UNKNOWN`, or another failure while waiting on it: remote-outcome.ts's
   * requestKept): the next run re-attaches to them.
   */
  readonly outcomeUnknown: readonly string[];
  /** Nodes over their pass's `max_change` (see run/drift.ts). */
  readonly drift?: readonly string[] | undefined;
  /** What the run's requests cost at list price (spend.ts); `null` when a price is unknown. */
  readonly costUsd: number | null;
  readonly spend: Spend;
}

/**
 * A run's end. Its `run-summary` event is not sent by the scheduler: the caller sends it with
 * `announce` once it is done with the run (uploads to the remote cache waited for, a shard's
 * shortfall and Ctrl-C counted into the exit code), so the summary is the run's last event and
 * says the exit code the run ends with.
 */
export interface FinishedRun {
  readonly summary: RunSummary;
  /** Send `run-summary` for `summary` (default: the scheduler's own); returns it, `ms` up to now. */
  announce(summary?: RunSummary): RunSummary;
}

/**
 * `summary` as the run ends: exit 130 when the run was interrupted, also after the scheduler was
 * done (Ctrl-C while the uploads to the remote cache finish), as the CLI then exits.
 */
export function interrupted(summary: RunSummary, signal: AbortSignal | undefined): RunSummary {
  return signal?.aborted === true
    ? { ...summary, exitCode: worstExitCode(summary.exitCode, ExitCode.INTERRUPTED) }
    : summary;
}

/**
 * The run's closing warnings about money whose fate is unknown: submits that may have been
 * accepted without a request id (`uncertain`), and journaled requests this run could not settle
 * (`outcomeUnknown`; `notJournaled`: those whose ids could not be written, named with the ids). Each says
 * what to do; after an interrupt (`interrupted`), journaled ones are said to be left at the API, no
 * more: the next run re-attaches to them.
 */
export function paidUnknownWarnings(
  uncertain: readonly string[],
  outcomeUnknown: readonly string[],
  notJournaled: ReadonlyMap<string, string> = new Map(),
  interrupted = false,
): { readonly type: 'warning'; readonly message: string }[] {
  const warnings: { readonly type: 'warning'; readonly message: string }[] = [];
  if (uncertain.length > 0)
    warnings.push({
      type: 'warning',
      message:
        `maybe paid, not known to be accepted: ${uncertain.join(', ')} (no request id reached the journal); ` +
        "check the provider's dashboard; --resubmit-uncertain submits them again with the same seeds",
    });
  const journaled = outcomeUnknown.filter((node) => !notJournaled.has(node));
  // Ctrl-C (or a CI cancel) left them at the API: no cause to fix, and no reason to pay again (walk-ak 6).
  if (journaled.length > 0 && interrupted)
    warnings.push({
      type: 'warning',
      message:
        `paid, left at the API when the run was interrupted: ${journaled.join(', ')} (their request ids stay ` +
        'in the journal); run the same command again to take their results at no new charge',
    });
  else if (journaled.length > 0)
    warnings.push({
      type: 'warning',
      message:
        `paid (or maybe), outcome unknown: ${journaled.join(', ')} (their request ids stay in the journal); ` +
        'run the same command again later (once the cause is fixed) to re-attach at no new charge; ' +
        '--resubmit-uncertain submits again those whose outcome is still unknown then (maybe paid twice)',
    });
  const ids = outcomeUnknown.flatMap((node) => {
    const id = notJournaled.get(node);
    return id === undefined ? [] : [`${node} (request ${id})`];
  });
  if (ids.length > 0)
    warnings.push({
      type: 'warning',
      message:
        'paid (or maybe), outcome unknown, request id NOT in the journal (it could not be written): ' +
        `${ids.join(', ')}; look these ids up on the provider's dashboard: the next run cannot re-attach to them ` +
        'and stops on them as maybe paid; --resubmit-uncertain submits them again (paid twice)',
    });
  return warnings;
}

/** A node's failure as its `node-failed` event says it: an error without an exit code is 70. */
export interface Failure {
  readonly code: string;
  readonly exit_code: Code;
  readonly message: string;
  readonly hint?: string;
}

export function failureOf(e: unknown): Failure {
  const err = e as { code?: string; exitCode?: Code; message?: string; hint?: string };
  // Out of file descriptors after the store's retries, a name too long: a limit, not a defect (75, 73).
  const limit = typeof err.exitCode === 'number' ? undefined : osLimitOf(e);
  if (limit)
    return { code: limit.code, exit_code: limit.exitCode, message: err.message ?? String(e), hint: limit.hint };
  return {
    code: err.code ?? 'E_INTERNAL',
    exit_code: typeof err.exitCode === 'number' ? err.exitCode : ExitCode.SOFTWARE,
    message: err.message ?? String(e),
    ...(err.hint ? { hint: err.hint } : {}),
  };
}
