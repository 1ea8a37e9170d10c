/**
 * The wait for one request at the API (submitted by execute.ts, or journaled and re-attached
 * to): its states as the node's events; abandoned by watch mode while queued, it is cancelled
 * (unpaid), or, the cancel refused (it runs now), waited for into the cache; a result without
 * an output URL is read again (remote-outcome.ts); a failed or cancelled request leaves the
 * journal, one interrupted while queued is cancelled, any other stays journaled for the next
 * run; once finished, its `-j` slot is given up and the output downloaded under its own limit
 * (download-output.ts). A fresh request whose id the journal could not take is waited for all
 * the same, the id in memory (execute-journal.ts `requestIdWrite`).
 */
import type { Provider, RemoteState } from '../providers/types.js';
import { downloadOutput } from './download-output.js';
import { type FreshRequest, requestIdWrite } from './execute-journal.js';
import type { ExecuteDeps, Executed, Job, NodeDeps } from './execute.js';
import {
  cancelledAtDeadline,
  isTerminalFailure,
  keptAfterWait,
  OUTPUT_REREAD_MS,
  seedMismatch,
  unsettled,
  waitForUsableOutput,
} from './remote-outcome.js';

/** Wait for `requestId` to finish, then download its output (`fresh`: just submitted, its journal write under way). */
export async function finishRequest(
  job: Job,
  requestId: string,
  deps: NodeDeps,
  fresh?: FreshRequest,
): Promise<Executed> {
  // The id's journal write failing (after its retries) does not end the wait: the id is in memory.
  const id = requestIdWrite(job, requestId, deps, fresh);
  const journaled = id.written;
  const { node } = job;
  // As messages name it: a URL's query is scrubbed from them, BFL's task id with it (Provider.requestName).
  const named = deps.provider.requestName?.(requestId) ?? requestId;
  let current: RemoteState['phase'] = 'queued';
  let waited: Awaited<ReturnType<Provider['wait']>> & { readonly url: string };
  // Abandoning stops the wait only while queued (then the request is cancelled, unpaid).
  const stopQueued = new AbortController();
  const onAbandon = (): void => {
    if (current === 'queued') stopQueued.abort(job.abandoned?.reason);
  };
  job.abandoned?.addEventListener('abort', onAbandon, { once: true });
  if (job.abandoned?.aborted) onAbandon();
  let signal = AbortSignal.any([deps.signal, stopQueued.signal]);
  let rereads = 0;
  // One deadline for the request however many waits a stray 404 splits it into (it may still run);
  // a request read again because it finished without an output URL is given a whole one again.
  let waitingSince: number | undefined;
  const waitOnce = (): ReturnType<Provider['wait']> => {
    waitingSince ??= deps.monotonic();
    return deps.provider.wait(requestId, {
      signal,
      deadlineMs: deps.deadlineMs,
      deadlineUsedMs: deps.monotonic() - waitingSince,
      firstPollAfter: journaled,
      submittedAt: fresh?.submittedAt,
      onRetry: deps.onRetry,
      onState: (s) => {
        current = s.phase;
        deps.emit({
          type: 'node-state',
          node: node.id,
          phase: s.phase,
          request_id: requestId,
          ...(s.phase === 'queued' && s.position !== undefined ? { position: s.position } : {}),
        });
      },
    });
  };
  try {
    for (;;) {
      try {
        // A result without an output URL is read again (paid for: never dropped, see remote-outcome.ts).
        waited = await waitForUsableOutput(waitOnce, {
          requestId: named,
          delaysMs: deps.outputRereadMs ?? OUTPUT_REREAD_MS,
          sleep: deps.intents.sleep,
          signal,
          onReread: (attempt, delayMs, stray) => {
            rereads = attempt;
            if (!stray) waitingSince = undefined;
            // Finished at the API: the pause holds no -j slot (a new submit takes one again). A read
            // answered 404 tells nothing of the request, which may still run: its slot is kept.
            if (!stray) job.remoteDone?.();
            const why = stray
              ? 'was answered 404 without the word that it is unknown'
              : 'finished without an output URL';
            const message = `request ${named} ${why}; reading it again in ${delayMs} ms`;
            deps.emit({ type: 'warning', node: node.id, message });
          },
        });
        break;
      } catch (e) {
        await journaled; // a journal entry is removed only after it is written
        // Stopped: this wait's signal (once abandoned and waited for anyway, only an interrupt's).
        const stopped = signal.aborted;
        // Interrupted: kept unless cancelled (a running request is paid for: the summary names it).
        let kept = false;
        if (stopped) {
          const cancelling = cancelIfQueued(requestId, current, deps, id.drop).then((stays) => {
            // This run's submit, cancelled before it ran: not its money (spend.ts says per provider).
            if (!stays && fresh)
              deps.onSubmitted?.({ provider: deps.providerName, model: node.model, maybePaid: false, cancelled: true });
            return stays;
          });
          deps.onCancelling?.(cancelling);
          kept = await cancelling;
          // Abandoned, but the cancel came too late (it runs now: paid): finish it into the cache, as a running one.
          if (kept && !deps.signal.aborted) {
            signal = deps.signal;
            continue;
          }
        }
        // Ended failed or cancelled: nothing left to re-attach to, and errors are never kept.
        else if (isTerminalFailure(e)) {
          await id.drop();
          // Cancelled at its deadline, still queued: as a cancel at Ctrl-C, not this run's money.
          if (fresh && cancelledAtDeadline(e))
            deps.onSubmitted?.({ provider: deps.providerName, model: node.model, maybePaid: false, cancelled: true });
        } else kept = true;
        const err = unsettled(e, { node: node.id, requestId: named, provider: deps.providerName }, rereads, kept);
        throw kept ? await id.keep(err) : err;
      }
    }
  } finally {
    job.abandoned?.removeEventListener('abort', onAbandon);
  }
  const { url } = waited;
  // A provider that reports the seed it used (BFL, fal) must report the one we sent: the key and lock record it.
  if (waited.seed !== undefined && waited.seed !== job.seed) deps.emit(seedMismatch(node.id, job.seed, waited.seed));
  // The remote job is over: its -j slot is free for the next submit while this downloads.
  job.remoteDone?.();
  // Finished at the API: an id the journal missed written now, so the entry goes once the lock holds it.
  const idWritten = await id.again();
  // Whatever stops the download or the record, the request stays journaled (paid): the summary names it.
  const download = (): Promise<Executed> =>
    downloadOutput(job, requestId, url, deps).then(
      (done) => (idWritten ? done : { ...done, idUnwritten: true }),
      async (e: unknown) => Promise.reject(await id.keep(keptAfterWait(e, node.id))),
    );
  return deps.limitDownload ? deps.limitDownload(download) : download();
}

/** Cancel a request still queued; whether it stays journaled (running, or not cancelled). */
async function cancelIfQueued(
  requestId: string,
  current: RemoteState['phase'],
  deps: ExecuteDeps,
  drop: () => Promise<void>,
): Promise<boolean> {
  if (current !== 'queued') return true;
  const outcome = await deps.provider
    .cancel(requestId, AbortSignal.timeout(10_000))
    .catch(() => 'not_cancellable' as const);
  // Cancelled: nothing was paid, nothing to re-attach to. Otherwise the journal keeps it.
  if (outcome !== 'cancelled') return true;
  await drop();
  return false;
}
