/**
 * `kontext run --frozen` (CI): every node must come from the lock and its files, the local cache
 * or the remote cache; anything else fails the run (exit 65) before a single request or write.
 * Resolve (resolve.ts) already walks down the DAG from the caches: a node whose input is a cached
 * upstream output has a known key and was looked up; a node whose upstream would need a request
 * has no key yet and is "blocked by" the first such node up its chain. Every chain is resolved,
 * so one failure lists everything missing. During the run every provider (the run's, and any a
 * pass names) refuses to submit, so a cached blob found damaged while being copied out fails its
 * node instead of paying.
 */
import { dirname, relative } from 'node:path';
import { ExitCode, KontextError, UsageError } from '../errors.js';
import type { Provider } from '../providers/types.js';
import type { RunReason } from './events.js';
import type { RunDeps, RunOptions } from './options.js';
import type { Prepared } from './prepare.js';
import type { ClaimVerdict } from './submit-claim.js';
import type { HandEditedOutputError } from './hand-edits.js';

/** A node `--frozen` cannot satisfy, and why. */
export interface FrozenMiss {
  readonly node: string;
  /** `null` when the node itself needs a request; else the upstream node it waits for. */
  readonly blockedBy: string | null;
  readonly reason: string;
}

/** The run needs a request `--frozen` forbids (exit 65); its message has one line per node. */
export class FrozenError extends KontextError {
  override readonly name = 'FrozenError';
  readonly misses: readonly FrozenMiss[];

  constructor(misses: readonly FrozenMiss[]) {
    const n = misses.length;
    const nodes = `${n} node${n === 1 ? '' : 's'}`;
    const head = `--frozen: ${nodes} in no cache and not up to date in the lock; nothing submitted or written`;
    super('E_FROZEN', [head, ...misses.map((m) => `  ${m.node}: ${m.reason}`)].join('\n'), {
      exitCode: ExitCode.DATA_ERR,
    });
    this.misses = misses;
  }
}

const REASONS: Record<RunReason, string> = {
  new: 'new, would need a request',
  'prompt-changed': 'prompt changed since the lock, would need a request',
  'params-changed': 'params changed since the lock, would need a request',
  'seed-changed': 'seed changed since the lock, would need a request',
  'model-changed': 'model changed since the lock, would need a request',
  'provider-changed': 'provider changed since the lock, would need a request',
  'input-changed': 'input changed since the lock, would need a request',
  'request-changed': 'prompt or params changed since the lock, would need a request',
  forced: 'forced, would need a request',
  'not-cached': 'in the lock but its output is in no cache and not in out/, would need a request',
  reattach: 'a request of an interrupted run is still in the journal (re-attaching would call the API)',
};

/** A journaled entry with no request id to re-attach to (resolve.ts's `claim`): what a run would do instead. */
const CLAIMS: Partial<Record<ClaimVerdict, string>> = {
  uncertain:
    "an interrupted run's submit is in the journal without its request id (it may have been paid; " +
    'a run stops the node, exit 75)',
  'take-over': "an interrupted run's submit is in the journal without its request id; a run would submit it again",
  wait: 'another kontext run is submitting it; its result is in no cache yet',
};

/** The selected nodes that would make a request, in plan order; empty when the run is satisfiable. */
function frozenMisses(prepared: Prepared): FrozenMiss[] {
  const out: FrozenMiss[] = [];
  for (const node of prepared.nodes) {
    const state = prepared.states.get(node.id);
    if (state?.status !== 'run') continue;
    if (state.inputSha !== null) {
      const reason = state.refused
        ? refusedReason(prepared, state.refused, prepared.lock.nodes[node.id] !== undefined)
        : ((state.reason === 'reattach' && state.claim !== undefined ? CLAIMS[state.claim] : undefined) ??
          REASONS[state.reason ?? 'not-cached']);
      out.push({ node: node.id, blockedBy: null, reason });
      continue;
    }
    const blocker = blockerOf(prepared, node.input.kind === 'node' ? node.input.id : null);
    out.push({ node: node.id, blockedBy: blocker, reason: `blocked by ${blocker ?? 'an upstream node'}` });
  }
  return out;
}

/**
 * A node whose file in out/ is not the lock's: saying "not in out/" would send the reader the
 * wrong way. Without a lock entry the file is one kontext never wrote, which the run would refuse.
 */
function refusedReason(prepared: Prepared, refused: HandEditedOutputError, inLock: boolean): string {
  const shown = relative(dirname(prepared.plan.recipe.file), refused.path);
  if (refused.lfs !== null) return `${shown} is a git LFS pointer, and no cache has the image (run "git lfs pull")`;
  if (!inLock) return `${shown} is not a file kontext wrote (no lock entry), and the node would need a request`;
  const causes = 'edited by hand, a git LFS pointer, a line-ending conversion?';
  return `${shown} does not hold the lock's output (${causes}) and no cache has it`;
}

/** The first node up the chain from `id` that itself needs a request (its input is known). */
function blockerOf(prepared: Prepared, id: string | null): string | null {
  let current = id;
  while (current !== null) {
    const state = prepared.states.get(current);
    if (!state) return current;
    if (state.inputSha !== null) return current;
    current = state.node.input.kind === 'node' ? state.node.input.id : null;
  }
  return null;
}

/** The error a frozen run stops with before anything happens, or `null`. */
export function frozenFailure(prepared: Prepared): FrozenError | null {
  const misses = frozenMisses(prepared);
  return misses.length === 0 ? null : new FrozenError(misses);
}

/**
 * The run's deps with providers that never submit (see the file comment): the run's own and
 * every other a pass names (`providerFor`), which would otherwise pay for that pass's nodes.
 */
export function frozenDeps(deps: RunDeps): RunDeps {
  const { providerFor } = deps;
  const refusing = new Map<string, Provider>();
  const forName = (name: string): Provider => {
    let p = refusing.get(name);
    if (!p) {
      p = neverSubmits(providerFor ? providerFor(name) : deps.provider);
      refusing.set(name, p);
    }
    return p;
  };
  return { ...deps, provider: neverSubmits(deps.provider), ...(providerFor ? { providerFor: forName } : {}) };
}

function neverSubmits(p: Provider): Provider {
  return {
    name: p.name,
    modelInfo: (...a) => p.modelInfo(...a),
    submit: (req) =>
      Promise.reject(
        new KontextError('E_FROZEN', `--frozen: a request would be submitted (${req.model}); nothing was paid`, {
          exitCode: ExitCode.DATA_ERR,
        }),
      ),
    wait: (...a) => p.wait(...a),
    cancel: (...a) => p.cancel(...a),
    download: (...a) => p.download(...a),
    requestName: (id) => p.requestName?.(id) ?? id,
  };
}

/**
 * `--frozen` with a flag that asks to pay, `--shard` or `--frozen` with `--watch`, `--shard` with
 * `--no-remote` (a shard's results reach the assemble run only through the remote cache, and a
 * shard fails when they did not: shard.ts): usage errors (exit 64).
 */
export function checkCiFlags(
  options: Pick<RunOptions, 'frozen' | 'shard' | 'force' | 'reseed'> & { readonly noRemote?: boolean | undefined },
  flags: { readonly watch: boolean },
): void {
  const paying = { '--force': options.force, '--reseed': options.reseed };
  for (const [flag, value] of Object.entries(paying))
    if (options.frozen === true && value !== undefined)
      throw new UsageError(`--frozen cannot be combined with ${flag}: it asks for new requests`, {
        hint: 'drop --frozen to pay for them',
      });
  if (options.shard !== undefined && options.noRemote === true)
    throw new UsageError('--shard cannot be combined with --no-remote: its results would reach no other machine', {
      hint: 'drop --no-remote (without a remote cache set up, --shard runs its share all the same)',
    });
  if (flags.watch && (options.shard !== undefined || options.frozen === true))
    throw new UsageError(`--watch cannot be combined with ${options.shard !== undefined ? '--shard' : '--frozen'}`, {
      hint: '--shard and --frozen are for one-shot (CI) runs',
    });
}
