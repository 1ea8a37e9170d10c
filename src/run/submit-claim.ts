/**
 * Intent before money: before a submit leaves, the node's key, seed and request-body hash are
 * journaled durably as an *intent* (no request id yet), claimed exclusively across processes.
 * After the reply the entry gets the request id. What a claim can find instead:
 * - a live owner (another process, or another run in this one) submitting the same key: wait
 *   for its record (or for it to give the key up), never submit beside it;
 * - a request id (a crashed run's, or a live one's): re-attach to it, which pays nothing;
 * - an intent whose owner is gone: "maybe paid". RunComfy has no idempotency key and no
 *   endpoint listing an account's requests, so nothing can tell whether that submit was
 *   accepted; the node is not submitted again unless the run allows it (`--resubmit-uncertain`),
 *   and then with the intent's seed, so the key (and the cache entry) stay the same.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ExitCode, KontextError } from '../errors.js';
import type { EditRequest } from '../providers/types.js';
import type { JournalClaim } from './events.js';
import { isNotSentCode } from '../providers/runcomfy/net-errors.js';
import { canonicalJson } from '../store/index.js';
import { startedAfter, tagIsDead } from '../util/process-tag.js';
import type { JournalEntry, RunRecord, Store } from '../store/types.js';
import { ErrorMarks } from './error-marks.js';

/** Runs of this process that are still going: an intent they wrote is live, not abandoned. */
const liveRuns = new Set<string>();

/** A token for one run of this process; {@link endRun} when it is over. */
export function beginRun(): string {
  const token = randomBytes(8).toString('hex');
  liveRuns.add(token);
  return token;
}

export function endRun(token: string): void {
  liveRuns.delete(token);
}

export interface ClaimDeps {
  readonly store: Store;
  readonly pid: number;
  readonly isAlive: (pid: number) => boolean;
  /** This run's token ({@link beginRun}). */
  readonly run: string;
  /** The provider keeps nothing past the process that made the request (the in-process emulator). */
  readonly providerDiesWithRun: boolean;
  readonly resubmitUncertain: boolean;
  /** Take a record another run writes meanwhile as the result (not when the node is forced). */
  readonly acceptRecords: boolean;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly signal: AbortSignal;
  /** Told once per claim that has to wait for another owner. */
  readonly onWait: (holder: JournalEntry) => void;
}

export type Claim =
  | { readonly kind: 'claimed' }
  | { readonly kind: 'attach'; readonly requestId: string }
  | { readonly kind: 'record'; readonly record: RunRecord };

/** How often a claim waiting on another owner looks again. */
const WAIT_POLL_MS = 100;

/** Journal `intent` durably unless the key is taken; see the module comment for the other outcomes. */
export async function claimSubmit(intent: JournalEntry, deps: ClaimDeps): Promise<Claim> {
  const { journal } = deps.store;
  let told = false;
  for (;;) {
    const got = await journal.claim(intent);
    if (got.claimed) return settleClaimed(intent, deps);
    const { holder } = got;
    const verdict = claimVerdict(holder, deps);
    if (verdict === 'wait') {
      if (!told) deps.onWait(holder);
      told = true;
      await deps.sleep(WAIT_POLL_MS, deps.signal);
      const record = deps.acceptRecords ? await deps.store.getRecord(intent.key) : null;
      if (record) return { kind: 'record', record };
      continue;
    }
    if (holder.request_id !== undefined) return { kind: 'attach', requestId: holder.request_id };
    if (verdict === 'uncertain') throw new UncertainSubmitError(holder);
    // Taken over: nothing was paid (the emulator died with its run), or the user accepts the risk.
    await journal.add(intent);
    return settleClaimed(intent, deps);
  }
}

/**
 * Before the node's input is hosted (an upload that may cost, for nothing): a dead run's intent
 * for the key stops the node now, as {@link claimSubmit} would stop it right after.
 */
export async function stopIfUncertain(key: string, deps: ClaimDeps): Promise<void> {
  const holder = await deps.store.journal.get(key);
  if (holder && claimVerdict(holder, deps) === 'uncertain') throw new UncertainSubmitError(holder);
}

/** Our intent is on disk. A run that finished the key just before we claimed it left its record first. */
async function settleClaimed(intent: JournalEntry, deps: ClaimDeps): Promise<Claim> {
  const record = deps.acceptRecords ? await deps.store.getRecord(intent.key) : null;
  if (!record) return { kind: 'claimed' };
  await deps.store.journal.remove(intent.key, null, deps.run);
  return { kind: 'record', record };
}

/**
 * What a claim does when `holder` already holds the key, in {@link claimSubmit}'s order: `wait`
 * for another live run's record (this run pays nothing), `attach` to its request id (paid
 * already), stop the node as `uncertain` (exit 75: a dead run's intent may have been paid), or
 * `take-over` the key and submit (paid). resolve.ts predicts the run by the same rule, so
 * `--dry-run`, `kontext status` and the run agree on what is billed and what stops.
 */
export type ClaimVerdict = JournalClaim;

export function claimVerdict(
  holder: JournalEntry,
  deps: Pick<ClaimDeps, 'pid' | 'isAlive' | 'run' | 'providerDiesWithRun' | 'resubmitUncertain'>,
): ClaimVerdict {
  if (isLiveOwner(holder, deps)) return 'wait';
  if (holder.request_id !== undefined) return 'attach';
  // Its run died while the API's refusal kept the submit off the wire (submit-between.ts): nothing paid.
  if (holder.refused_at !== undefined) return 'take-over';
  return deps.providerDiesWithRun || deps.resubmitUncertain ? 'take-over' : 'uncertain';
}

/** Whether the entry belongs to another run that is still going (which records its result itself). */
export function isLiveOwner(holder: JournalEntry, deps: Pick<ClaimDeps, 'pid' | 'isAlive' | 'run'>): boolean {
  if (holder.pid === undefined) return false;
  if (holder.pid === deps.pid) return holder.run !== undefined && holder.run !== deps.run && liveRuns.has(holder.run);
  // A pid alive now may be another process's (reused since a reboot): the entry's tag tells, and
  // without one (an older kontext's entry), a process that started after the entry was written.
  if (!deps.isAlive(holder.pid)) return false;
  if (holder.proc !== undefined) return !tagIsDead(holder.proc, holder.pid);
  return !startedAfter(holder.pid, Date.parse(holder.submitted_at));
}

/** An intent left by a run that ended before learning its request id: it may have been paid for. */
export class UncertainSubmitError extends KontextError {
  override readonly name = 'UncertainSubmitError';
  constructor(readonly entry: JournalEntry) {
    super(
      'E_SUBMIT_UNCERTAIN',
      // The intent does not say why no request id came back: the run was cut off, or the API answered
      // an error that does not say whether it accepted the request (a 5xx, a reset after sending).
      `a run${entry.pid === undefined ? '' : ` (pid ${entry.pid})`} submitted ${entry.node} at ` +
        `${entry.submitted_at} (seed ${entry.seed}) and never got its request id (the run was cut off, or the ` +
        "API's answer did not say whether it accepted it): " +
        `the request may have been accepted and paid for, and kontext cannot find it at ${entry.provider} ` +
        '(it has no idempotency key to ask by); not submitted again',
      {
        exitCode: ExitCode.TEMP_FAIL,
        hint:
          `check the ${entry.provider} dashboard; to submit it again with the same seed (it may be paid twice), ` +
          'run with --resubmit-uncertain',
      },
    );
  }
}

const UNCERTAIN_CODE = 'E_SUBMIT_UNCERTAIN';

/** Submit errors that left the node's intent journaled as maybe paid ({@link maybePaid}). */
const maybePaidErrors = new ErrorMarks<true>();

/** `e`, a submit's error that does not prove nothing was taken: its intent stays journaled, maybe paid. */
export function maybePaid(e: unknown, node: string): unknown {
  maybePaidErrors.set(e, node, true);
  return e;
}

/**
 * Whether a node's failure left an intent the next run stops as maybe paid: a submit that may have
 * been accepted (whatever the error: a 5xx, a connection lost, a Ctrl-C whose grace ran out), or a
 * dead run's intent. The run summary lists these nodes as `uncertain`.
 */
export function leftUncertain(e: unknown, node: string): boolean {
  if ((e as { code?: unknown } | null)?.code === UNCERTAIN_CODE) return true;
  return maybePaidErrors.get(e, node) === true;
}

/** sha256 of the canonical submit body, as journaled with the intent. */
export function bodySha256(req: EditRequest): string {
  const body = {
    model: req.model,
    prompt: req.prompt,
    image_url: req.imageUrl,
    seed: req.seed ?? null,
    aspect_ratio: req.aspectRatio ?? null,
    params: req.params ?? {},
  };
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/**
 * Whether a failed submit proves the API took nothing, so its intent can go: the API answered
 * with an error (a 4xx, 429 and 408 included, or an `error_code` of the 4xx family: no request
 * id was issued), said it was unavailable (a 503 in the service's own JSON, where the provider
 * documents it as a refusal: BFL, fal; a proxy's 503 page or empty body proves nothing, and
 * RunComfy's and Replicate's clients make a submit's 5xx a `SubmitUncertainError` anyway),
 * or no connection was ever made (refused, unresolvable, unreachable), or the submit was stopped
 * between attempts (`notAccepted`: every attempt before was one of those). Everything else (a reset
 * or timeout after sending, another 5xx, a reply without a request id, an abort mid-send) may
 * have been accepted, and stays an intent.
 */
export function provesNotAccepted(e: unknown): boolean {
  const err = e as {
    code?: unknown;
    status?: unknown;
    errorCode?: unknown;
    netCode?: unknown;
    notAccepted?: unknown;
    jsonReply?: unknown;
  };
  if (err.code === UNCERTAIN_CODE) return false;
  if (err.notAccepted === true) return true;
  if (err.code === 'E_NETWORK') return typeof err.netCode === 'string' && isNotSentCode(err.netCode);
  const status = typeof err.status === 'number' ? err.status : undefined;
  if (status !== undefined && status >= 400 && status < 500) return true;
  if (status === 503 && err.jsonReply === true) return true;
  const apiCode = typeof err.errorCode === 'number' ? err.errorCode : undefined;
  return apiCode !== undefined && apiCode >= 400_000 && apiCode < 500_000;
}
