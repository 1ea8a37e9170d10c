/**
 * `--shard i/n`: one of n CI runners takes a deterministic, balanced share of the *source
 * instances* (docs/ci.md). Every node descends from exactly one source instance (a glob match,
 * or a single file or URL source), so a shard holds whole chains and never waits on another.
 *
 * The split depends only on the plan (source names, instance names, node counts): not on the
 * working directory, readdir order, the machine or the time. Instances are sorted (largest
 * first, then by name in UTF-16 code-unit order, as the glob sorts: no locale) and each goes to
 * the shard with the fewest nodes so far (lowest number on a tie). So shard sizes in nodes differ
 * by at most one instance's worth: the shard that ends largest got its last instance while it
 * was the smallest. Adding a source image may move other instances between shards; that costs
 * cache hits only (docs/ci.md#how-the-split-moves).
 */
import { ExitCode, InterruptedError, UsageError, worstExitCode } from '../errors.js';
import type { PlanNode } from '../plan/types.js';
import type { RemoteShortfall } from '../remote/pool.js';
import type { RemoteLost } from '../remote/errors.js';
import type { RunEvent } from './events.js';
import type { RunSummary } from './outcome.js';

/** Shard `index` (1-based) of `count`. */
export interface ShardSpec {
  readonly index: number;
  readonly count: number;
}

/** The largest `n` accepted: far more runners than any CI matrix allows (a library caller's too: option-checks.ts). */
export const MAX_SHARDS = 1000;

/** `2/5` → `{ index: 2, count: 5 }`; anything else is a usage error (exit 64). */
export function parseShard(value: string): ShardSpec {
  const m = /^(\d{1,4})\/(\d{1,4})$/.exec(value.trim());
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!(count >= 1 && count <= MAX_SHARDS && index >= 1 && index <= count))
    throw new UsageError(`--shard: "${value}" is not i/n with 1 ≤ i ≤ n ≤ ${MAX_SHARDS}`, {
      hint: 'e.g. --shard 2/5 runs the second of five shares',
    });
  return { index, count };
}

/** The source instance a node belongs to: its root source and glob instance. */
function instanceOf(node: PlanNode): string {
  return node.instance === null ? node.source : `${node.source}@${node.instance}`;
}

/** Source instance → shard number (1-based), for every instance of `nodes`. */
export function assignShards(nodes: readonly PlanNode[], count: number): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const node of nodes) {
    const unit = instanceOf(node);
    sizes.set(unit, (sizes.get(unit) ?? 0) + 1);
  }
  const units = [...sizes].sort(([a, sa], [b, sb]) => sb - sa || codeUnitOrder(a, b));
  const loads = new Array<number>(count).fill(0);
  const out = new Map<string, number>();
  for (const [unit, size] of units) {
    let best = 0;
    for (let i = 1; i < count; i++) if ((loads[i] ?? 0) < (loads[best] ?? 0)) best = i;
    loads[best] = (loads[best] ?? 0) + size;
    out.set(unit, best + 1);
  }
  return out;
}

/** `<` on UTF-16 code units: the same on every machine (localeCompare depends on the ICU build and locale). */
function codeUnitOrder(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/**
 * The nodes of `selected` that fall in `shard` of the whole plan's split (`all`): the split never
 * depends on `--only`, so `--only` and `--shard` intersect.
 */
export function shardNodes(all: readonly PlanNode[], selected: readonly PlanNode[], shard: ShardSpec): PlanNode[] {
  const assigned = assignShards(all, shard.count);
  return selected.filter((n) => assigned.get(instanceOf(n)) === shard.index);
}

/** The run lock a shard takes instead of the recipe's (shards of one recipe run side by side). */
export function shardLockBase(lockPath: string, shard: ShardSpec): string {
  return `${lockPath}.shard-${shard.index}-of-${shard.count}`;
}

/** Said when a shard has nothing to run (fewer instances than shards, or `--only` elsewhere): exit 0. */
export function emptyShardMessage(all: readonly PlanNode[], shard: ShardSpec): string {
  const n = new Set(all.map(instanceOf)).size;
  const instances = `${n} source instance${n === 1 ? '' : 's'}`;
  return `shard ${shard.index}/${shard.count}: nothing to run here (${instances} over ${shard.count} shards)`;
}

/**
 * A shard exists to fill the remote cache: once the remote can take none of its results (not
 * usable, uploads denied, or a recipe's remote used read-only: `RemoteCache.lost`), whatever it
 * paid from then on would reach no other machine, and a CI runner's re-run (a fresh machine)
 * would pay for it again. So it submits nothing more ({@link signal}, the run's
 * `RunDeps.submitStop`): the requests already on the wire finish and are kept locally, cache
 * hits are still taken, and the nodes held back are counted ({@link observe}) for the one line
 * {@link shardShortfall} says.
 */
export class ShardRemoteStop {
  readonly #stop = new AbortController();
  #held = 0;

  constructor(private readonly lost: AbortSignal) {
    const stop = (): void =>
      this.#stop.abort(new InterruptedError("stopped: the shard's remote cache cannot take its results"));
    if (lost.aborted) stop();
    else lost.addEventListener('abort', stop, { once: true });
  }

  /** Aborted once the remote is lost: the run submits nothing more. */
  get signal(): AbortSignal {
    return this.#stop.signal;
  }

  observe(e: RunEvent): void {
    if (e.type === 'node-skipped' && e.reason === 'remote-unusable') this.#held++;
  }

  /** Why the shard stopped submitting and how many nodes it held back; `null` when it held none back. */
  get held(): ShardHeld | null {
    return this.#held > 0 && this.lost.aborted ? { lost: this.lost.reason as RemoteLost, nodes: this.#held } : null;
  }
}

/** The nodes a shard did not submit once its remote was lost ({@link ShardRemoteStop}). */
export interface ShardHeld {
  readonly lost: RemoteLost;
  readonly nodes: number;
}

/**
 * A shard's results are meant for the assemble run on another machine, through the remote cache:
 * a result of the shard (paid for, or taken from this machine's cache: run-recipe.ts makes sure
 * the remote has those too) that the remote does not have when it ends (unreachable, uploads
 * denied, Ctrl-C) would be paid for again there, once this CI runner and its cache are gone. So
 * the shard says so and exits 75 (try again): a re-run of it on this machine pays nothing and
 * uploads what the last one left (src/remote/pending.ts); or 77 when uploads to that remote are
 * off (read-only keys, an untrusted recipe's remote): a retry cannot help until write access is
 * given; or 65 for a result unfit for any remote (not an image, a local blob not matching its
 * name: each named in a warning as found), which no retry sends. Without a remote, nothing is
 * expected. A shard that held nodes back (`held`: its remote lost) says that in one line with
 * what it paid and could not send, and exits 75, or 77 with uploads off, whatever it paid.
 */
export function shardShortfall(
  summary: RunSummary,
  shortfall: readonly RemoteShortfall[],
  shard: ShardSpec,
  held: ShardHeld | null = null,
): { readonly summary: RunSummary; readonly warnings: readonly string[] } {
  if (shortfall.length === 0 && held === null) return { summary, warnings: [] };
  const name = `shard ${shard.index}/${shard.count}`;
  const of = (n: number): string => `${n} result${n === 1 ? '' : 's'} of this shard ${n === 1 ? 'is' : 'are'}`;
  const warnings = shortfall.flatMap((s) => {
    const sendable = s.missing - s.unfit;
    const where = `the remote cache ${s.url}, so a run on another machine would pay again`;
    return [
      ...(sendable > 0 && held?.lost.url !== s.url
        ? [
            `${name}: ${of(sendable)} not in ${where}; ` +
              (s.uploadsOff
                ? 'uploads to it are off (read-only credentials, or a remote named by the recipe that your user ' +
                  'config does not name: --trust-recipe-hosting), so give this run write access and run the shard again'
                : 'run this shard again once the remote takes uploads') +
              " (it pays nothing: they are in this machine's cache)",
          ]
        : []),
      ...(s.unfit > 0
        ? [`${name}: ${of(s.unfit)} unfit for ${where}: no retry sends them (each is named in a warning above)`]
        : []),
    ];
  });
  if (held !== null) {
    const missed = shortfall.find((s) => s.url === held.lost.url);
    warnings.unshift(heldMessage(name, held, missed ? missed.missing - missed.unfit : 0, summary.submitted));
  }
  // Uploads off is a permission to grant (77); a result unfit to send is bad data (65); anything
  // else may pass on a retry (75).
  const codes = [
    ...shortfall.flatMap((s) => [
      ...(s.missing > s.unfit ? [s.uploadsOff ? ExitCode.NO_PERM : ExitCode.TEMP_FAIL] : []),
      ...(s.unfit > 0 ? [ExitCode.DATA_ERR] : []),
    ]),
    ...(held === null ? [] : [held.lost.kind === 'unusable' ? ExitCode.TEMP_FAIL : ExitCode.NO_PERM]),
  ];
  const exitCode = codes.reduce((worst, code) => worstExitCode(worst, code), summary.exitCode as ExitCode);
  return { summary: { ...summary, exitCode }, warnings };
}

/** The one line of a shard that stopped submitting: what it held back, why, what it could not send, what to do. */
function heldMessage(name: string, held: ShardHeld, unsent: number, submitted: number): string {
  const { lost } = held;
  const nodes = `${held.nodes} node${held.nodes === 1 ? '' : 's'}`;
  const results = `${unsent} result${unsent === 1 ? '' : 's'} of this shard ${unsent === 1 ? 'is' : 'are'}`;
  const fix = {
    unusable: 'fix the remote (its endpoint, bucket or credentials)',
    denied: 'give this job write credentials for it (s3:PutObject)',
    'read-only': 'name its bucket in your user config or pass --trust-recipe-hosting',
  }[lost.kind];
  return (
    `${name}: submitted nothing${submitted > 0 ? ' more' : ''} (${nodes} not run): the remote cache ${lost.url} ` +
    `${lost.why}, and a shard's results reach the other jobs only through it` +
    `${unsent === 0 ? '' : `; ${results} not in it`}; ${fix} and run this shard again` +
    (unsent === 0 ? '' : " (what this machine's cache holds is not paid again)")
  );
}
