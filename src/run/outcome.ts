/** What the scheduler reports: each node's outcome and the run's counts. */
import type { ExitCode as Code } from '../errors.js';
import type { UpstreamOutput } from './inputs.js';

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
  /** Nodes over their pass's `max_change` (see run/drift.ts). */
  readonly drift?: readonly string[] | undefined;
}
