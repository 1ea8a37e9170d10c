/**
 * Event enums in words, for `--explain`, skipped nodes and the live phase column.
 * Exhaustive switches: a new enum value in `src/run/events.ts` fails the typecheck here.
 */
import type { NodePhase, RunEventOf, RunReason } from '../../index.js';
import { formatProgress } from './numbers.js';

type SkipReason = RunEventOf<'node-skipped'>['reason'];

type Claim = RunEventOf<'node-start'>['claim'];

/**
 * Why a node runs, in words. A journaled request of its key (`reattach`) by what the run does
 * with it (`claim`): only a request id is re-attached to; a dead run's intent without one is
 * checked, and stops the node unless `--resubmit-uncertain` submits it again; one the API refused
 * (`refused`) paid nothing and is submitted again.
 */
export function reasonWords(reason: RunReason, claim?: Claim, refused?: true): string {
  if (reason === 'reattach' && claim === 'take-over' && refused)
    return "the API refused an earlier run's submit of it (nothing was paid); submitting it again";
  if (reason === 'reattach' && claim !== undefined) return claimWords(claim);
  switch (reason) {
    case 'new':
      return 'new';
    case 'prompt-changed':
      return 'prompt changed';
    case 'params-changed':
      return 'params changed';
    case 'seed-changed':
      return 'seed changed';
    case 'model-changed':
      return 'model changed';
    case 'provider-changed':
      return 'provider changed';
    // The event does not say which: an edited source file and a re-run upstream pass look alike.
    case 'input-changed':
      return 'input changed (source file or upstream output changed)';
    // Its key is not the lock's, and the lock's record is in no cache to tell which part changed.
    case 'request-changed':
      return 'prompt or params changed';
    case 'forced':
      return 'forced';
    case 'not-cached':
      return 'not in cache';
    case 'reattach':
      return 're-attaching to a paid request';
    default:
      return unreachable(reason);
  }
}

function claimWords(claim: NonNullable<Claim>): string {
  switch (claim) {
    case 'attach':
      return 're-attaching to a paid request';
    case 'wait':
      return 'another kontext run is submitting it; waiting for its result';
    case 'uncertain':
      return "an earlier run's submit of it may have been paid: stopped (exit 75) unless --resubmit-uncertain";
    case 'take-over':
      // --resubmit-uncertain, or a provider whose requests die with the run that made them (the
      // built-in emulator's: nothing was paid): either way it is submitted again.
      return "an earlier run's submit of it is unsettled; submitting it again";
    default:
      return unreachable(claim);
  }
}

/** Why a node was skipped, in words. */
export function skipWords(reason: SkipReason): string {
  switch (reason) {
    case 'upstream-failed':
      return 'upstream failed';
    case 'stopped':
      return 'stopped after a failure';
    case 'interrupted':
      return 'interrupted';
    case 'remote-unusable':
      return "not submitted: the shard's remote cache cannot take its results";
    default:
      return unreachable(reason);
  }
}

/** What a running node is doing remotely: `queued #3`, `downloading 42%`. */
export function phaseWords(state: Pick<RunEventOf<'node-state'>, 'phase' | 'position' | 'bytes' | 'total'>): string {
  const phase: NodePhase = state.phase;
  switch (phase) {
    case 'hosting':
      return 'hosting input';
    case 'submitting':
      return 'submitting';
    case 'queued':
      return state.position === undefined ? 'queued' : `queued #${state.position}`;
    case 'running':
      return 'running';
    case 'downloading':
      return `downloading ${formatProgress(state.bytes, state.total)}`.trimEnd();
    case 'reattaching':
      return 're-attaching';
    default:
      return unreachable(phase);
  }
}

function unreachable(value: never): never {
  throw new Error(`unexpected value ${String(value)}`);
}
