/**
 * `--dry-run` / `--explain`: each node's state, why it would run, and how its input would
 * reach the API, with the number of billable requests. No request is made.
 */
import { formatDuration, isRemoteUrlFresh, REMOTE_OUTPUT_REUSE_MS, type Hosting } from '../hosting/index.js';
import type { RunRecord, Store } from '../store/types.js';
import { redactUrl } from '../util/redact.js';
import type { RunReason } from './events.js';
import { outputUrlsOutliveRun } from './inputs.js';
import { billableStates } from './node-provider.js';
import type { Prepared } from './prepare.js';
import { HandEditedOutputError } from './hand-edits.js';
import type { KontextError } from '../errors.js';

export interface DryRunRow {
  readonly node: string;
  readonly status: 'cached' | 'run';
  readonly reason: RunReason | null;
  /** The seed the run will use; `null` when it is drawn at run time (no recipe, lock or journal seed). */
  readonly seed: number | null;
  readonly seedSource: string;
  /** How the input reaches the API (only for nodes that run). */
  readonly input: string | null;
  /**
   * Counted in `billable`: a request the run pays for. Not for a cached node, a re-attach to a
   * journaled request (paid already), a node sharing an earlier node's request, or a stopped one.
   */
  readonly paid: boolean;
  /**
   * The run stops this node before it submits: the node that fails (this node itself, or one
   * above it, whose failure skips it); else `null`. `stopCode` says why: `E_OUTPUT_CHANGED` (an
   * output kontext did not write, exit 65; `E_OUTPUT_LFS_POINTER` when that file is a git LFS
   * pointer, the error's code still `E_OUTPUT_CHANGED`) or `E_SUBMIT_UNCERTAIN` (a dead run's
   * intent, exit 75).
   */
  readonly stoppedBy: string | null;
  readonly stopCode: string | null;
  /** The journal holds a request of this node's key that another live run owns: the run waits for its result. */
  readonly waits: boolean;
  /** Submitted again in place of an earlier run's submit the API refused (nothing paid): `claimRefused`. */
  readonly submitRefused?: true | undefined;
}

export interface DryRunReport {
  readonly rows: readonly DryRunRow[];
  readonly billable: number;
  /** Nodes the run takes from the cache (not those it stops). */
  readonly cached: number;
  /** Nodes the run stops before they pay, and those below them, cache hits too (`stoppedBy`). */
  readonly stopped: number;
  /** Estimated price of the billable requests in USD; `null` when the provider gives no price. */
  readonly costUsd?: number | null | undefined;
  /** Why `costUsd` is `null` (which model's price, and why it is not known); `null` when it is known. */
  readonly priceUnknown?: string | null | undefined;
}

export interface DescribeDeps {
  readonly store: Store;
  readonly hosting: Hosting | null;
  readonly now: () => number;
  /** Decides whether a cached output's provider URL may be reused (see outputUrlsOutliveRun). */
  readonly providerName?: string | undefined;
}

export async function describeRun(prepared: Prepared, deps: DescribeDeps): Promise<DryRunReport> {
  const rows: DryRunRow[] = [];
  const paid = new Set(billableStates(prepared, deps.providerName ?? '').map((s) => s.node.id));
  for (const node of prepared.nodes) {
    const s = prepared.states.get(node.id);
    if (!s) continue;
    const stop = prepared.stopped?.get(node.id);
    const stoppedBy = stop?.by ?? null;
    const input = s.status === 'run' && stoppedBy === null ? await describeInput(prepared, node.id, deps) : null;
    // A drawn seed is only a placeholder here: the real run draws its own.
    const seed = s.seedSource === 'drawn' ? null : s.seed;
    const { status, reason, seedSource } = s;
    const stopped = { stoppedBy, stopCode: stopCodeOf(stop?.error), waits: s.claim === 'wait' };
    const refused = s.claimRefused && { submitRefused: true as const };
    rows.push({
      node: node.id,
      status,
      reason,
      seed,
      seedSource,
      input,
      paid: paid.has(node.id),
      ...stopped,
      ...refused,
    });
  }
  // As the run's start counts them (prepare.ts startCounts): a node the run stops, a cache hit below
  // an output changed by hand too, is neither restored nor run (walk-r 3: it was counted cached).
  const cached = rows.filter((r) => r.status === 'cached' && r.stoppedBy === null).length;
  const stopped = rows.filter((r) => r.stoppedBy !== null).length;
  return { rows, billable: prepared.billable, cached, stopped };
}

async function describeInput(prepared: Prepared, id: string, deps: DescribeDeps): Promise<string> {
  const s = prepared.states.get(id);
  if (!s) return '';
  const input = s.node.input;
  // A recipe's source URL may itself be presigned: never print its query string.
  if (input.kind === 'source' && input.url !== undefined) return `source URL ${redactUrl(input.url)} (passed as-is)`;
  if (input.kind === 'node') {
    const up = prepared.states.get(input.id);
    if (!up || up.status === 'run' || !up.record) return `output URL of ${input.id} from this run (no upload)`;
    // Served from the lock alone, the record (the provider URL) was not read: read it now.
    const record = up.current && up.key !== null ? ((await deps.store.getRecord(up.key)) ?? up.record) : up.record;
    return describeCachedOutput(input.id, record, deps);
  }
  if (!deps.hosting) return 'needs hosting: none configured';
  const path = input.path ?? '';
  const bytes = (await deps.store.hashSource(path)).bytes;
  const preview = await deps.hosting.describe({ path, sha256: s.inputSha ?? '', bytes });
  return preview.text;
}

/**
 * A cached upstream output: its provider URL is passed on while fresh (as the run would do,
 * see inputs.ts), otherwise the cached bytes go through hosting.
 */
async function describeCachedOutput(upstream: string, record: RunRecord, deps: DescribeDeps): Promise<string> {
  const at = Date.parse(record.finished_at);
  const now = deps.now();
  if (record.output_url && outputUrlsOutliveRun(record.provider) && isRemoteUrlFresh(at, now, REMOTE_OUTPUT_REUSE_MS)) {
    const fresh = formatDuration(at + REMOTE_OUTPUT_REUSE_MS - now);
    return `reuse the API's output URL of ${upstream} (fresh for ${fresh} more; no upload)`;
  }
  if (!deps.hosting) return `needs hosting for the cached output of ${upstream}: none configured`;
  const path = deps.store.blobPath(record.output_sha256);
  const preview = await deps.hosting.describe({ path, sha256: record.output_sha256, bytes: 0 });
  return `cached output of ${upstream}: ${preview.text}`;
}

/** A row's `stopCode`: the error's code, told apart for a git LFS pointer (see DryRunRow). */
function stopCodeOf(error: KontextError | undefined): string | null {
  if (error instanceof HandEditedOutputError && error.lfs !== null) return 'E_OUTPUT_LFS_POINTER';
  return error?.code ?? null;
}
