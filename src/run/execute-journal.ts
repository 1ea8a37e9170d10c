/**
 * The journal side of one node's remote work (execute.ts): the intent written before a submit,
 * what a claim on the node's key needs, and dropping a journaled request the node gives up.
 */
import { randomUUID } from 'node:crypto';
import { ExitCode, KontextError } from '../errors.js';
import { providerTraits } from '../providers/session.js';
import type { EditRequest } from '../providers/types.js';
import type { JournalEntry } from '../store/types.js';
import { processTag } from '../util/process-tag.js';
import type { Job, NodeDeps } from './execute.js';
import { requestShaFor } from './node-request.js';
import { markNotJournaled } from './remote-outcome.js';
import { anotherRun } from './run-lock.js';
import { bodySha256, type claimSubmit } from './submit-claim.js';

/** The durable intent of a submit of `request` for `job`: its key, seed and what it asks. */
export function intentFor(job: Job, request: EditRequest, deps: NodeDeps): JournalEntry {
  return {
    key: job.key,
    node: job.node.id,
    provider: deps.providerName,
    model: job.node.model,
    seed: job.seed,
    input_sha256: job.inputSha,
    body_sha256: bodySha256(request),
    request_sha256: requestShaFor(job.node, deps.providerName, job.inputSha),
    pid: deps.intents.pid,
    ...(processTag !== '' && { proc: processTag }),
    run: deps.intents.run,
    ...(deps.intents.lock === undefined ? {} : { lock: deps.intents.lock, replaces: job.replaces ?? null }),
    // Which temp completes this intent, told by this token rather than by two wall-clock times.
    attempt: randomUUID(),
    submitted_at: new Date(deps.now()).toISOString(),
  };
}

export function claimDeps(job: Job, deps: NodeDeps): Parameters<typeof claimSubmit>[1] {
  const { intents } = deps;
  return {
    store: deps.store,
    pid: intents.pid,
    isAlive: intents.isAlive,
    run: intents.run,
    providerDiesWithRun: providerTraits(deps.providerName).diesWithRun,
    resubmitUncertain: intents.resubmitUncertain,
    acceptRecords: job.forced !== true,
    sleep: intents.sleep,
    signal: deps.signal,
    onWait: (holder) =>
      deps.emit({
        type: 'warning',
        node: job.node.id,
        message: `waiting for ${anotherRun(holder.pid, intents.pid)} that is submitting this node`,
      }),
  };
}

/**
 * Drop a journaled request the node will submit anew (attach said so), once it holds a -j slot
 * again: a run that takes no new work keeps the entry.
 */
export async function giveUp(job: Job, requestId: string, deps: NodeDeps, rehost: boolean): Promise<void> {
  await job.slotAgain?.(rehost);
  await deps.store.journal.remove(job.key, requestId);
}

/**
 * The paid request an interrupted `--reseed` left, taken over the lock, cannot be had: gone at the
 * API, cancelled, or its output lost. Paying again for it would make a plain run of an up-to-date
 * project pay; so its entry goes, and the node fails once (exit 75): the next run keeps the lock's
 * result, and pays nothing.
 */
export async function reseedLost(job: Job, requestId: string, e: unknown, deps: NodeDeps): Promise<KontextError> {
  await deps.store.journal.remove(job.key, requestId);
  const why = e instanceof Error ? e.message : String(e);
  return new KontextError(
    'E_RESEED_LOST',
    `the request an interrupted --reseed of ${job.node.id} paid for (seed ${job.seed}) cannot be had any more ` +
      `(${why}); it is dropped, nothing was submitted`,
    {
      exitCode: ExitCode.TEMP_FAIL,
      hint: "run again: the node keeps the lock's earlier result, with no new request (--reseed it to draw anew)",
      cause: e,
    },
  );
}

/** A request this run just submitted: its id's journal write (under way), when it was sent, the entry written. */
export interface FreshRequest {
  readonly journaled: Promise<void>;
  readonly submittedAt: number;
  readonly entry: JournalEntry;
}

/**
 * The journal side of waiting for one request. A fresh request's id whose journal write failed
 * (after its retries: out of file descriptors, a full disk) is still waited for and recorded in
 * this run; once its wait ends it is written again (`again`); left unsettled with its id still
 * not written, its error says so and names the id (`keep`, {@link markNotJournaled}); ended
 * failed or cancelled, its entry goes: the id's, or the intent when the id never reached it (`drop`).
 */
export function requestIdWrite(job: Job, requestId: string, deps: NodeDeps, fresh: FreshRequest | undefined) {
  let failed = false;
  const written = fresh?.journaled.catch(() => {
    failed = true;
  });
  const again = async (): Promise<boolean> => {
    if (!failed || fresh === undefined) return true;
    failed = await deps.store.journal.add(fresh.entry).then(
      () => false,
      () => true,
    );
    return !failed;
  };
  return {
    /** Settles once the first write is over, failed or not. */
    written,
    again,
    keep: async (err: unknown): Promise<unknown> =>
      (await again()) ? err : markNotJournaled(err, job.node.id, requestId),
    // A write that failed after its rename left the id in the entry: the id's removal comes first.
    drop: async (): Promise<void> => {
      await deps.store.journal.remove(job.key, requestId);
      if (failed) await deps.store.journal.remove(job.key, null, deps.intents.run);
    },
  };
}
