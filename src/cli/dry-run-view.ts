/** Rendering of `kontext run --dry-run` (and `--explain`): a table, or JSON with `--json`. */
import type { DryRunReport } from '../index.js';
import { escapeControls, type TextSink } from '../index.js';
import { jsonText } from './json-text.js';

export const REASON_WORDS: Readonly<Record<string, string>> = {
  new: 'new',
  'prompt-changed': 'prompt changed',
  'params-changed': 'params changed',
  'seed-changed': 'seed changed',
  'model-changed': 'model changed',
  'provider-changed': 'provider changed',
  'input-changed': 'input changed (upstream output changed or will run)',
  'request-changed': 'prompt or params changed',
  forced: 'forced',
  'not-cached': 'not in cache',
  reattach: 're-attaching to a paid request',
};

export function printDryRun(
  report: DryRunReport,
  options: {
    readonly out: TextSink;
    readonly json: boolean;
    readonly explain: boolean;
    /** What the real run would stop with before its first request (its error is on stderr). */
    readonly stops?: { readonly code: string; readonly exitCode: number } | null | undefined;
  },
): void {
  if (options.json) {
    const stops = options.stops ? { code: options.stops.code, exit_code: options.stops.exitCode } : null;
    options.out.write(
      `${jsonText({
        type: 'dry-run',
        billable: report.billable,
        cached: report.cached,
        stopped: report.stopped,
        cost_usd: report.costUsd ?? null,
        price_unknown: report.priceUnknown ?? null,
        // A run that would stop: its cost_usd is what it would not pay (review-z 6).
        stops,
        // snake_case, as every other --json field (the library's DryRunRow is camelCase TypeScript).
        nodes: report.rows.map((r) => ({
          node: r.node,
          status: r.status,
          reason: r.reason,
          seed: r.seed,
          seed_source: r.seedSource,
          input: r.input,
          paid: r.paid,
          stopped_by: r.stoppedBy,
          stop_code: r.stopCode,
          waits: r.waits,
        })),
      })}\n`,
    );
    return;
  }
  // A loop, not Math.max(...rows): spreading 100k+ arguments overflows the stack.
  let width = 4;
  for (const r of report.rows) width = Math.max(width, r.node.length);
  width = Math.min(48, width);
  for (const r of report.rows) {
    const state = rowState(r);
    const input = options.explain && r.input ? `  ← ${r.input}` : '';
    const seed = r.seed === null ? 'seed drawn at run time' : `seed ${r.seed} (${r.seedSource})`;
    options.out.write(`${r.node.padEnd(width)}  ${state}  ${seed}${input}\n`);
  }
  const billable = `${report.billable} billable request${report.billable === 1 ? '' : 's'}`;
  const cost = costPart(report);
  const stopped = report.stopped > 0 ? `, ${report.stopped} stopped (above)` : '';
  options.out.write(`${billable}${cost}, ${report.cached} cached${stopped}; nothing was submitted (dry run)\n`);
}

/** ` (about $0.12)`; ` (price unknown: …why)`; nothing with no billable request. */
function costPart(report: DryRunReport): string {
  if (typeof report.costUsd === 'number') return ` (about $${report.costUsd.toFixed(2)})`;
  if (report.billable > 0 && report.priceUnknown) return ` (price unknown: ${escapeControls(report.priceUnknown)})`;
  return '';
}

/** Why the run stops a node (DryRunRow.stopCode): the node's own words, and those below it. */
const STOP_WORDS: Readonly<Record<string, readonly [string, string]>> = {
  E_OUTPUT_CHANGED: ['refused: its output was changed by hand (not paid)', 'whose output was changed by hand'],
  E_OUTPUT_LFS_POINTER: [
    'refused: its output is a git LFS pointer, run "git lfs pull" (not paid)',
    'whose output is a git LFS pointer',
  ],
  E_SUBMIT_UNCERTAIN: [
    'stopped: an earlier run may have submitted it, exit 75 (not paid; see --resubmit-uncertain)',
    'which an earlier run may have submitted',
  ],
};

function rowState(r: DryRunReport['rows'][number]): string {
  const stop = r.stopCode === null ? undefined : STOP_WORDS[r.stopCode];
  if (r.stoppedBy === r.node) return stop?.[0] ?? 'stopped before it is submitted (not paid)';
  if (r.stoppedBy !== null) return `not run: below ${r.stoppedBy}${stop ? `, ${stop[1]}` : ''}`;
  if (r.status === 'cached') return 'cached';
  // An earlier run's intent without a request id, taken over (--resubmit-uncertain): submitted again, paid;
  // one the API refused (its journal says so) was never accepted.
  if (r.reason === 'reattach' && r.paid && r.submitRefused === true)
    return "will run: the API refused an earlier run's submit of it (nothing was paid); submitted again";
  if (r.reason === 'reattach' && r.paid) return 'will run: an earlier run may have submitted it; submitted again';
  if (r.waits) return 'will run: another kontext run is submitting it; its result is taken (not paid again)';
  const why = r.reason ? `: ${REASON_WORDS[r.reason] ?? r.reason}` : '';
  return `will run${why}${r.reason === 'reattach' ? ' (not paid again)' : ''}`;
}
