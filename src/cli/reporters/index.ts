/**
 * Run progress reporters, chosen from a map (knip-style): the scheduler emits `RunEvent`s
 * and never prints; the CLI picks one reporter and feeds it every event, then `close()`.
 */
import type { Reporter } from '../../index.js';
import { createJsonReporter } from './json-reporter.js';
import { createPlainReporter } from './plain-reporter.js';
import { createTtyReporter } from './tty-reporter.js';
import type { ReporterDeps } from './types.js';

export type ReporterKind = 'tty' | 'plain' | 'json';
export type { IntervalTimers, ReporterDeps } from './types.js';
export { formatDuration } from './duration.js';
export { formatBytes, formatCount } from './numbers.js';
export { reasonWords, skipWords, phaseWords } from './words.js';

const REPORTERS: Record<ReporterKind, (deps: ReporterDeps) => Reporter> = {
  tty: createTtyReporter,
  plain: createPlainReporter,
  json: createJsonReporter,
};

/**
 * `--json` wins; otherwise the live view only on a terminal. `isTTY` is that of the stream
 * the human reporters write to (`err`), since that is where the cursor moves.
 */
export function chooseReporterKind(opts: { json: boolean; isTTY: boolean }): ReporterKind {
  if (opts.json) return 'json';
  return opts.isTTY ? 'tty' : 'plain';
}

export function createReporter(kind: ReporterKind, deps: ReporterDeps): Reporter {
  return REPORTERS[kind](deps);
}
