/**
 * The remote half of one node: host the input, journal an intent (key, seed, body hash)
 * durably, submit (or re-attach to a journaled request), journal the request id durably
 * before polling, wait, download into the store, record. On interruption a queued request is
 * cancelled; one that cannot be is left in the journal so the next run re-attaches to it
 * instead of paying again. An intent without a request id is "maybe paid" (submit-claim.ts).
 * The wait for a submitted (or journaled) request and its download: request-wait.ts.
 */
import type { PlanNode } from '../plan/types.js';
import { RemoteCancelledError, RequestGoneError } from '../providers/runcomfy/errors.js';
import type { Provider, RetryListener } from '../providers/types.js';
import type { JournalEntry, RunRecord, Store } from '../store/types.js';
import type { NodePhase, UntimedRunEvent } from './events.js';
import {
  forgetHostedInput,
  inputUrlAhead,
  inputUrlFor,
  upstreamFromRecord,
  type InputDeps,
  type ResolvedInput,
  type UpstreamOutput,
} from './inputs.js';
import { editRequestFor } from './node-request.js';
import { claimDeps, giveUp, intentFor, reseedLost } from './execute-journal.js';
import { finishRequest } from './request-wait.js';
import { NotSubmittedAgain } from './node-slot.js';
import { refusedMeanwhile, stopBetweenAttempts, stoppedByFailure, submitClock } from './submit-between.js';
import { claimSubmit, isLiveOwner, maybePaid, provesNotAccepted, stopIfUncertain } from './submit-claim.js';
import { SUBMIT_GRACE_MS, submitLostWarning } from './submit-grace.js';
import { retryEvents } from './retry-events.js';
import type { CostBudget, Reservation } from './cost-budget.js';
import { graceSignal } from '../util/grace-signal.js';
import {
  hostedAnew,
  isImageFetchFailure,
  isLostOutput,
  mayResubmit,
  OutcomeUnknownError,
  sameUrlAgain,
  type FetchFailed,
  stillNotFetched,
} from './remote-outcome.js';

/** Who this run is, for the journal's intents (see submit-claim.ts). */
interface IntentDeps {
  readonly pid: number;
  readonly isAlive: (pid: number) => boolean;
  /** This run's token (beginRun). */
  readonly run: string;
  /** The lock file of the recipe this run writes (none for `kontext edit`), journaled with each intent. */
  readonly lock?: string | undefined;
  /** Submit again a node a dead run may have paid for (`--resubmit-uncertain`). */
  readonly resubmitUncertain: boolean;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * Test hook (the CLI may end the process here): the points of a submit and of a download
   * (listed in cli/test-hooks.ts).
   */
  readonly crashPoint?: ((point: string) => void) | undefined;
}

export interface ExecuteDeps extends InputDeps {
  readonly provider: Provider;
  readonly providerName: string;
  readonly store: Store;
  /** `rt.monotonic`: the poll schedule's start, the deadline's use, an input's age (`now` is for what is written). */
  readonly monotonic: () => number;
  readonly emit: (event: UntimedRunEvent) => void;
  /**
   * Told once per request the API accepted (a re-attach is not a submit), and once per submit that
   * may have been accepted (no reply, or one not proving nothing was taken) and that the journal
   * keeps as maybe paid (`maybePaid`): what a run spent. Told again (`cancelled`) when the API
   * confirmed the cancel of a request it accepted from this run, never seen running.
   */
  readonly onSubmitted?: ((submit: Submitted) => void) | undefined;
  /** Told of a cancel under way (an abandoned or interrupted request): the spend waits for it (spend.ts). */
  readonly onCancelling?: ((cancel: Promise<unknown>) => void) | undefined;
  readonly signal: AbortSignal;
  /**
   * Fires when a failure stops the run (no `--keep-going`): a submit waiting between attempts (a
   * refusal's `Retry-After`) sends nothing, its intent cleared. Never the watch stop (a superseded
   * cycle's request may be joined by the next cycle's node).
   */
  readonly stopSubmits?: AbortSignal | undefined;
  readonly deadlineMs?: number | undefined;
  /** How long a submit on the wire at Ctrl-C may finish; default {@link SUBMIT_GRACE_MS}. */
  readonly submitGraceMs?: number | undefined;
  /** Pauses before reading again a request that finished without an output URL; default remote-outcome.ts's. */
  readonly outputRereadMs?: readonly number[] | undefined;
  /** Runs each download (outside the `-j` slot of its request) under its own limit. */
  readonly limitDownload?: (<T>(fn: () => Promise<T>) => Promise<T>) | undefined;
  /** The list price of one request of (provider, model), as the run's spend reads it; kept in the record. */
  readonly priceOf?: ((provider: string, model: string) => Promise<number | null>) | undefined;
  /** `--max-cost` while the run goes: each submit reserves its price before it is sent (cost-budget.ts). */
  readonly budget?: CostBudget | undefined;
  readonly intents: IntentDeps;
}

/** A request sent: on which provider, for which model, and whether its acceptance is only probable. */
export interface Submitted {
  readonly provider: string;
  readonly model: string;
  readonly maybePaid: boolean;
  /** A request this run submitted, then cancelled while queued (the API confirmed it): taken back. */
  readonly cancelled?: boolean | undefined;
}

export interface Job {
  readonly node: PlanNode;
  readonly key: string;
  readonly seed: number;
  readonly inputSha: string;
  readonly upstream: UpstreamOutput | null;
  /**
   * Watch mode: the plan no longer wants this node. Before submitting, give up; while queued,
   * cancel; once running, finish into the cache (it is paid for).
   */
  readonly abandoned?: AbortSignal | undefined;
  /** Its journal entry or input URL, looked up ahead of its -j slot ({@link prepareNode}). */
  readonly prepared?: Promise<PreparedNode> | undefined;
  /** `--force`: a result another run records meanwhile is not taken in place of submitting. */
  readonly forced?: boolean | undefined;
  /**
   * Its seed is a paid journaled request's, taken over the lock's (an interrupted `--reseed`,
   * resolve.ts): a re-attach that finds it gone or its output lost submits nothing (see attach).
   */
  readonly overLock?: true | undefined;
  /**
   * The request id of the node's lock entry as the run planned (none: the lock held no entry), the
   * entry its request is to replace: journaled with its intent (paid-unlocked.ts).
   */
  readonly replaces?: string | undefined;
  /**
   * Told once the remote job is over (its output is ready to download: the rest is downloading
   * and local work), and when a finished request is to be read again after a pause: its `-j`
   * slot is given up meanwhile.
   */
  readonly remoteDone?: (() => void) | undefined;
  /**
   * Take a `-j` slot again (at once when still held) before submitting; throws node-slot.ts's
   * `NotSubmittedAgain` when the run takes no new work (`rehost`: the submit was to re-host the input).
   */
  readonly slotAgain?: ((rehost: boolean) => Promise<void>) | undefined;
  /**
   * The key's request failed because the API could not fetch its input, and its entry is gone: host
   * the input anew and submit, once (a watch cycle that joined it, its own cycle stopped: remote-stage.ts),
   * unless hosting gives the URL that failed again (when known).
   */
  readonly rehost?: true | FetchFailed | undefined;
}

export interface Executed {
  readonly record: RunRecord;
  readonly output: UpstreamOutput;
  /** The request's id never reached its journal entry (both writes failed): this run's intent stands for it. */
  readonly idUnwritten?: boolean;
}

export async function executeNode(job: Job, deps: ExecuteDeps): Promise<Executed> {
  // Every provider call of this node reports its retries as this node's events.
  const onRetry: RetryListener = (n) => {
    for (const event of retryEvents(job.node.id, n)) deps.emit(event);
  };
  return executeOnce(job, { ...deps, onRetry });
}

/** A node's deps: the run's, with the node's own retry listener. */
export type NodeDeps = ExecuteDeps & { readonly onRetry: RetryListener };

/** What a node needs before it submits: a journaled request to re-attach to, or else its input URL. */
export interface PreparedNode {
  readonly journaled: JournalEntry | null;
  /** `null`: made in the slot (an upload, see inputUrlAhead). */
  readonly input: ResolvedInput | null;
  /** When it was looked up (`monotonic()`): an input older than {@link AHEAD_MAX_AGE_MS} is looked up again. */
  readonly at: number;
}

/** A remote output URL looked up ahead is used only this soon after (it must still be fresh when sent). */
const AHEAD_MAX_AGE_MS = 60_000;

/**
 * The node's look-ups before submitting (journal, hosting). The scheduler runs this ahead of
 * the node's -j slot, so the slot goes straight to submitting; it emits no events (the node
 * has not started).
 */
export async function prepareNode(
  job: Pick<Job, 'node' | 'key' | 'inputSha' | 'upstream'>,
  deps: ExecuteDeps,
): Promise<PreparedNode> {
  const journaled = await deps.store.journal.get(job.key);
  // An intent (no request id yet), or a request another live run (another project's, sharing the
  // cache) is waiting on, is settled by the claim right before submitting: it waits for that
  // run's record rather than polling and downloading the request a second time.
  if (journaled?.request_id !== undefined && !isLiveOwner(journaled, deps.intents))
    return { journaled, input: null, at: deps.monotonic() };
  const input = await inputUrlAhead(job.node, job.inputSha, job.upstream, deps);
  return { journaled: null, input, at: deps.monotonic() };
}

async function executeOnce(job: Job, deps: NodeDeps): Promise<Executed> {
  if (job.rehost) return submitAndFinish(job, deps, true, null, job.rehost === true ? null : job.rehost);
  const prepared = await (job.prepared ?? prepareNode(job, deps));
  const journaledId = prepared.journaled?.request_id;
  if (journaledId !== undefined) {
    const attached = await attach(job, journaledId, deps, 'reattaching');
    if (attached) return attached;
    await giveUp(job, journaledId, deps, false);
  }
  const fresh = deps.monotonic() - prepared.at <= AHEAD_MAX_AGE_MS;
  return submitAndFinish(job, deps, false, fresh ? prepared.input : null);
}

async function submitAndFinish(
  job: Job,
  deps: NodeDeps,
  rehosted: boolean,
  hosted: ResolvedInput | null = null,
  failed: FetchFailed | null = null,
): Promise<Executed> {
  const { node } = job;
  // A submit is made in a -j slot: a wait before this one may have given it up (a re-host another
  // run's node takes over keeps the URL that failed: remote-stage.ts).
  await job.slotAgain?.(rehosted).catch((e: unknown) => {
    throw failed && e instanceof NotSubmittedAgain ? e.carrying(failed) : e;
  });
  await stopIfUncertain(job.key, claimDeps(job, deps)); // before hosting: an upload may cost
  if (!hosted) phase(deps, node.id, 'hosting');
  const input =
    hosted ??
    (await inputUrlFor(node, job.inputSha, job.upstream, deps, { signal: deps.signal, forceRefresh: rehosted }));
  throwIfAborted(deps.signal);
  // The URL the API could not fetch, hosted again: sent again, it would fail again, paid twice.
  if (failed && !hostedAnew(input, failed, deps.now())) {
    await forgetHostedInput(job.inputSha, input.via, deps.hosting);
    throw sameUrlAgain(failed.error);
  }
  if (job.abandoned) throwIfAborted(job.abandoned);
  phase(deps, node.id, 'submitting');
  const request = editRequestFor(node, { imageUrl: input.url, seed: job.seed });
  const intent = intentFor(job, request, deps);
  // --max-cost: its price read before the intent is written (no look-up between a durable intent
  // and its send), its share taken once the claim says this run submits (cost-budget.ts).
  const price = await deps.budget?.price(node.id, deps.providerName, node.model);
  const claim = await claimSubmit(intent, claimDeps(job, deps));
  if (claim.kind === 'record') return fromRecord(job, claim.record, deps);
  if (claim.kind === 'attach') {
    const attached = await attach(job, claim.requestId, deps, 'reattaching');
    if (attached) return attached;
    await giveUp(job, claim.requestId, deps, rehosted);
    return submitAndFinish(job, deps, rehosted, input);
  }
  // Past --max-cost with this one (a retry, a re-attach given up): not sent, the intent cleared.
  let reserved: Reservation | undefined;
  try {
    reserved = price === undefined ? undefined : deps.budget?.take(node.id, price);
  } catch (e) {
    await deps.store.journal.remove(job.key, null, deps.intents.run);
    throw e;
  }
  const hook = deps.intents.crashPoint;
  hook?.('after-intent');
  // Stopped while the intent was being written: nothing is on the wire yet, so nothing is sent.
  const stoppedBy = [deps.signal, job.abandoned].find((s) => s?.aborted === true);
  if (stoppedBy) {
    reserved?.release();
    await deps.store.journal.remove(job.key, null, deps.intents.run);
    throwIfAborted(stoppedBy);
  }
  // A submit already on the wire when Ctrl-C comes is let finish (for a few seconds), so the
  // request is journaled and then cancelled, rather than paid for and lost.
  const graceMs = deps.submitGraceMs ?? SUBMIT_GRACE_MS;
  let graceOver = false;
  const grace = graceSignal(deps.signal, graceMs, () => {
    graceOver = true;
  });
  const stops = { signal: deps.signal, abandoned: job.abandoned, stopSubmits: deps.stopSubmits };
  const refused = refusedMeanwhile(intent, deps.store.journal, deps.now, hook);
  const clock = submitClock(deps.monotonic, (notice) => {
    refused.onRetry(notice);
    deps.onRetry(notice);
  });
  // Between attempts nothing is on the wire: Ctrl-C, an abandon or a failure's stop ends the wait, no grace.
  const stop = stopBetweenAttempts(stops);
  const sending = deps.provider.submit(request, grace.signal, clock.onRetry, stop).finally(grace.dispose);
  hook?.('after-submit-sent');
  let requestId: string;
  try {
    ({ requestId } = await sending);
  } catch (e) {
    // Only an error proving the API took nothing clears the intent; any other stays "maybe paid",
    // and when the grace ran out on it, the run says so (not for a submit stopped between
    // attempts that were all refused: that proves nothing was taken).
    if (provesNotAccepted(e)) {
      reserved?.release();
      await refused.settled();
      await deps.store.journal.remove(job.key, null, deps.intents.run);
      throw stoppedByFailure(e, stops, rehosted) ?? e;
    }
    if (graceOver) deps.emit(submitLostWarning(node.id, graceMs, deps.signal.reason));
    deps.onSubmitted?.({ provider: deps.providerName, model: node.model, maybePaid: true });
    throw maybePaid(e, node.id);
  }
  hook?.('after-submit-response');
  deps.onSubmitted?.({ provider: deps.providerName, model: node.model, maybePaid: false });
  // Accepted: the request waits at the API now. Said at once, so status reads that time out or are
  // refused (429) before the first one answers do not leave the node shown as still submitting.
  phase(deps, node.id, 'queued', requestId);
  // Durable before the first poll (the wait holds that poll back until it is), written while
  // the wait's first pause runs.
  const entry = { ...intent, request_id: requestId, submitted_at: new Date(deps.now()).toISOString() };
  const beforeRename = (): void => hook?.('request-id-temp-written');
  const journaled = deps.store.journal.add(entry, { beforeRename }).then(() => hook?.('after-request-id'));
  journaled.catch(() => undefined); // handled: finishRequest() awaits it
  try {
    return await finishRequest(job, requestId, deps, { journaled, submittedAt: clock.sentAt(), entry });
  } catch (e) {
    // The provider could not fetch our input (an expired URL, a hosting hiccup): re-host once, retried only
    // when that gives a URL that may fetch (hostedAnew). Not a data URI: the same bytes would fail alike.
    // Either way its hosted record goes first: a run stopped meanwhile must not leave it to the next.
    if (isImageFetchFailure(e)) await forgetHostedInput(job.inputSha, input.via, deps.hosting);
    if (!rehosted && input.via !== 'source-url' && input.via !== 'inline' && isImageFetchFailure(e)) {
      await deps.store.journal.remove(job.key, requestId);
      deps.emit({
        type: 'warning',
        node: node.id,
        message:
          'the API could not fetch the input image; hosting it again and retrying once, unless the URL is the same',
      });
      return submitAndFinish(job, deps, true, null, {
        url: input.url,
        via: input.via,
        expiresAt: input.expiresAt,
        error: e,
      });
    }
    if (rehosted && isImageFetchFailure(e)) throw stillNotFetched(e);
    throw e;
  }
}

/** Another run finished this key while we waited: its record is our result (nothing submitted). */
async function fromRecord(job: Job, record: RunRecord, deps: NodeDeps): Promise<Executed> {
  job.remoteDone?.();
  const blobPath = deps.store.blobPath(record.output_sha256);
  return { record, output: await upstreamFromRecord(record, { blobPath, providerName: deps.providerName }) };
}

/**
 * Re-attach to a journaled request; `null` when it must be submitted anew: the service says it
 * does not know it, or it was cancelled (or, with `--resubmit-uncertain`, its outcome is unknown).
 */
async function attach(job: Job, requestId: string, deps: NodeDeps, first: NodePhase): Promise<Executed | null> {
  phase(deps, job.node.id, first, requestId);
  try {
    return await finishRequest(job, requestId, deps);
  } catch (e) {
    if (job.overLock && (e instanceof RequestGoneError || e instanceof RemoteCancelledError || isLostOutput(e)))
      throw await reseedLost(job, requestId, e, deps);
    if (isImageFetchFailure(e)) await forgetHostedInput(job.inputSha, null, deps.hosting);
    if (!mayResubmit(e, deps.intents.resubmitUncertain)) throw e;
    // A paid request lost at the API: the submit that follows pays again, said rather than silent (walk-r).
    if (e instanceof RequestGoneError) {
      const named = deps.provider.requestName?.(requestId) ?? requestId;
      const paid = 'which an earlier run paid for: submitting it anew (paid)';
      deps.emit({
        type: 'warning',
        node: job.node.id,
        message: `the provider no longer knows request ${named}, ${paid}`,
      });
    }
    if (e instanceof OutcomeUnknownError || isLostOutput(e)) {
      const message = `${e.message}; --resubmit-uncertain: submitting it again (it may be paid twice)`;
      deps.emit({ type: 'warning', node: job.node.id, message });
    }
    return null;
  }
}

function phase(deps: ExecuteDeps, node: string, p: NodePhase, requestId?: string): void {
  deps.emit({ type: 'node-state', node, phase: p, ...(requestId === undefined ? {} : { request_id: requestId }) });
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
}
