/**
 * The scheduler: every node is a promise that starts the moment its input exists (not level
 * by level); requests to the API (submit → finished) run under one p-limit of `jobs`, their
 * downloads under another of the same size. It emits events and never prints.
 */
import { providerOf } from './node-provider.js';
import { setMaxListeners } from 'node:events';
import { dirname } from 'node:path';
import { outputPathFor } from '../plan/index.js';
import pLimit, { type LimitFunction } from 'p-limit';
import { ExitCode } from '../errors.js';
import type { PlanNode } from '../plan/types.js';
import type { RunRecord } from '../store/types.js';
import { isBlobCorrupt } from '../store/index.js';
import type { RunEvent, UntimedRunEvent } from './events.js';
import type { Executed, ExecuteDeps } from './execute.js';
import { RemoteStage, type RemoteJob } from './remote-stage.js';
import { NodeSlot } from './node-slot.js';
import { type UpstreamOutput, upstreamFromRecord } from './inputs.js';
import { ownLockWriter } from './lock-writer.js';
import { NodeLockEntries } from './node-lock.js';
import { keyFor } from './node-request.js';
import type { RunDeps, RunOptions } from './options.js';
import { RunInflight } from './run-inflight.js';
import { budgetFor } from './cost-budget.js';
import { executeDepsFor, executeDepsOfNode } from './execute-deps.js';
import { dropFinishedEntry, dropOnceLocked, dropSettledEntries } from './journal-settled.js';
import { watchJournal } from './journal-watch.js';
import { DriftCheck } from './drift.js';
import { writeOutputs } from './outputs.js';
import { checkTargets, knownOutputs, landedMeanwhile, outputTargets, storeCheck } from './hand-edits.js';
import { targetsBeforeSubmit, type CheckAgainst } from './hand-edits.js';
import { materializeHit } from './cache-hit.js';
import { beginRun, endRun } from './submit-claim.js';
import { paidUnknownWarnings, type FinishedRun, type NodeOutcome, type RunSummary } from './outcome.js';
import { type Prepared, startCounts } from './prepare.js';
import { eventReason } from './event-reason.js';
import type { NodeState } from './resolve.js';
import { type LockCurrent, LockCurrentNodes } from './lock-current.js';
import { RunSpend } from './spend.js';
import { RunTally } from './run-tally.js';

export type { FinishedRun, RunSummary } from './outcome.js';

/** See `Scheduler.#local`: enough to keep the thread pool busy, few enough to stay small. */
const LOCAL_CONCURRENCY = 32;

export async function executePlan(prepared: Prepared, deps: RunDeps, options: RunOptions): Promise<FinishedRun> {
  // This run has no token yet (beginRun): an entry of a live run in this process is another run's.
  const self = { pid: deps.rt.pid, isAlive: (pid: number) => deps.rt.isAlive(pid), run: '' };
  // Its first submits' claims then find the claim thread up (a few ms each instead of ~20 on the promise path).
  if (prepared.billable > 0) deps.store.journal.expectClaims();
  const journaled = await dropSettledEntries(deps.store, prepared.lock, prepared.journal, self);
  return new Scheduler(prepared, deps, options, journaled).run();
}

class Scheduler {
  readonly #started: number;
  readonly #signal: AbortSignal;
  readonly #stop: AbortSignal;
  readonly #lock: NodeLockEntries;
  readonly #limit: LimitFunction;
  /**
   * Cache hits materialized at once (a stat or two and perhaps a copy each). Unbounded, 10,000
   * hits queued 10,000 file operations and their promises at once: the no-op run's heap peaked
   * near 200 MB, most of it garbage waiting for a full GC.
   */
  readonly #local = pLimit(LOCAL_CONCURRENCY);
  /** Submitting (or joining an in-flight request) and waiting at the API; input prepared ahead of the slot. */
  readonly #stage: RemoteStage;
  readonly #exec: ExecuteDeps;
  readonly #outcomes = new Map<string, Promise<NodeOutcome>>();
  /** Counts, exit code, the paid nodes left unsettled, and when nothing new may start (run-tally.ts). */
  readonly #tally: RunTally;
  readonly #journalDrops: Promise<void>[] = [];
  /** This run's token in journal intents (see submit-claim.ts). */
  readonly #run = beginRun();
  readonly #drift: DriftCheck;
  /** What the run's submits cost (spend.ts). */
  readonly #spend: RunSpend;
  /** Nodes served from the lock alone (lock-current.ts). */
  readonly #current: LockCurrentNodes;

  constructor(
    readonly prepared: Prepared,
    readonly deps: RunDeps,
    readonly options: RunOptions,
    /** Requests in the journal at the start, key → request id (journal-settled.ts). */
    readonly journaled: ReadonlyMap<string, string>,
  ) {
    this.#started = deps.rt.monotonic();
    this.#signal = options.signal ?? new AbortController().signal;
    const { coordination } = deps;
    this.#stop = coordination?.stop ?? new AbortController().signal;
    const [signal, stop, keepGoing] = [this.#signal, this.#stop, options.keepGoing === true];
    const submitStop = deps.submitStop;
    this.#tally = new RunTally({ signal, stop, keepGoing, submitStop, emit: (e) => this.#emit(e) });
    // Every in-flight node listens to these; -j 16 is not a leak.
    setMaxListeners(0, this.#signal, this.#stop);
    const writer = coordination?.lockWriter ?? ownLockWriter(deps);
    this.#lock = new NodeLockEntries(writer, deps.lockPath, prepared.lock.nodes, deps.providerName);
    this.#limit = pLimit(Math.max(1, options.jobs));
    this.#stage = new RemoteStage(options.jobs, coordination?.inflight ?? new RunInflight(), (node) =>
      executeDepsOfNode(this.#exec, node, deps, options),
    );
    this.#current = new LockCurrentNodes(deps);
    this.#spend = new RunSpend(deps, coordination?.spend);
    const priceOf = (provider: string, model: string) => this.#spend.priceOf(provider, model);
    this.#exec = executeDepsFor(deps, options, {
      emit: (e) => this.#emit(e),
      onSubmitted: (submit) => {
        if (!(submit.maybePaid || submit.cancelled)) this.#tally.counts.submitted++;
        this.#spend.note(submit);
      },
      onCancelling: (cancel) => this.#spend.cancelling(cancel),
      priceOf,
      budget: budgetFor(options, priceOf),
      signal: this.#signal,
      stopSubmits: this.#tally.stopSubmits,
      run: this.#run,
    });
    this.#drift = new DriftCheck(prepared.plan.nodes, {
      store: deps.store,
      emit: (e) => this.#emit(e),
      signal: this.#signal,
    });
  }

  async run(): Promise<FinishedRun> {
    const stopWatch = watchJournal(this.deps.store, (e) => this.#emit(e));
    try {
      return await this.#runAll();
    } finally {
      await stopWatch();
      endRun(this.#run);
    }
  }

  async #runAll(): Promise<FinishedRun> {
    const { prepared } = this;
    this.#emit({
      type: 'run-start',
      recipe: prepared.plan.recipe.file,
      nodes: prepared.nodes.length,
      ...startCounts(prepared),
      jobs: this.options.jobs,
      provider: this.deps.providerName,
    });
    for (const node of prepared.nodes) {
      this.#outcomes.set(
        node.id,
        this.#runNode(node).catch((e: unknown) => this.#tally.fail(node, e)),
      );
    }
    const settled = new Map<string, NodeOutcome>();
    for (const [id, p] of this.#outcomes) settled.set(id, await p);
    // A lock that cannot be written fails the run, but only once the journal drops and reviews
    // under way are done: a caller told the run is over finds nothing still writing to the cache.
    const flushed = await this.#lock.flush().then(
      () => null,
      (e: unknown) => ({ e }),
    );
    await Promise.all(this.#journalDrops);
    const drift = await this.#drift.settle();
    if (flushed) throw flushed.e;
    if (this.#signal.aborted) this.#tally.exitCode = ExitCode.INTERRUPTED;
    const { uncertain, outcomeUnknown, notJournaled } = this.#tally.unsettled();
    for (const w of paidUnknownWarnings(uncertain, outcomeUnknown, notJournaled, this.#signal.aborted)) this.#emit(w);
    const { spend, fields } = await this.#spend.settle();
    const ms = this.deps.rt.monotonic() - this.#started;
    const outDir = prepared.plan.recipe.outDir;
    await this.#current.markUsed();
    const paid = { uncertain, outcomeUnknown, costUsd: spend.costUsd, spend };
    const own: RunSummary = {
      ...this.#tally.counts,
      exitCode: this.#tally.exitCode,
      ms,
      outDir,
      outcomes: settled,
      ...paid,
      drift,
    };
    const announce = (summary: RunSummary = own): RunSummary => {
      const ms = this.deps.rt.monotonic() - this.#started; // the run's time up to its summary, final uploads included
      this.#emit({
        type: 'run-summary',
        recipe: prepared.plan.recipe.file,
        ...this.#tally.counts,
        exit_code: summary.exitCode,
        ms,
        out_dir: outDir,
        ...(uncertain.length > 0 ? { uncertain } : {}),
        ...(outcomeUnknown.length > 0 ? { outcome_unknown: outcomeUnknown } : {}),
        ...(drift.length > 0 ? { drift } : {}),
        ...fields,
      });
      return { ...summary, ms };
    };
    return { summary: own, announce };
  }

  async #runNode(node: PlanNode): Promise<NodeOutcome> {
    const state = this.prepared.states.get(node.id);
    if (!state) throw new Error(`no state for ${node.id}`);
    let upstream: UpstreamOutput | null = null;
    if (node.input.kind === 'node') {
      const up = await this.#outcomes.get(node.input.id);
      // Downstream of a failure says so, even when the failure also stopped the run.
      if (up?.kind !== 'ok')
        return this.#tally.skip(
          node,
          up?.kind === 'failed' ? 'upstream-failed' : (this.#tally.halted() ?? 'upstream-failed'),
        );
      upstream = up.output;
    }
    const inputSha = upstream ? upstream.sha256 : state.inputSha;
    if (inputSha === null) throw new Error(`no input hash for ${node.id}`);
    const known = state.key !== null && inputSha === state.inputSha; // resolve keyed this very input
    const key =
      known && state.key !== null
        ? state.key
        : keyFor(node, providerOf(node, this.deps.providerName), inputSha, state.seed);
    if (state.current && state.key === key) return this.#lockCurrent(node, state.current);
    const hit = state.forced ? null : await this.#recordFor(state, key);
    if (hit) {
      // A cached blob found damaged while being copied out was dropped: fetch it again, with a warning.
      const cached = await this.#local(() => this.#cached(node, hit)).catch((e: unknown) =>
        isBlobCorrupt(e) ? e : Promise.reject(e),
      );
      if (!isBlobCorrupt(cached)) return cached;
      this.#emit({ type: 'warning', node: node.id, message: `${cached.message}; the node runs again` });
    }
    const halted = this.#tally.halted();
    if (halted) return this.#tally.skip(node, halted);
    if (node.input.kind === 'node' && upstream) upstream = await this.#current.forRun(node.input.id, upstream);
    // A file kontext did not write where the node writes is refused before paying (hand-edits.ts).
    const ours = knownOutputs(hit ?? (state.forced ? await this.deps.store.getRecord(key) : null));
    const { lockPath, providerName } = this.deps;
    const dirs = lockPath === null ? null : { lockDir: dirname(lockPath), outDir: this.prepared.plan.recipe.outDir };
    const locked = this.prepared.lock.nodes[node.id];
    const targets = targetsBeforeSubmit(node, locked, dirs, providerName);
    // Refused, or let through as a result the cache records for this node: unless another run (a
    // shard of this recipe, say) has just written this very result, whose record is then the hit.
    const store = hit === null && !state.forced ? this.deps.store : null;
    const landed = await this.#checkOutputs(node, targets, { known: ours, key: state.forced ? undefined : key }).then(
      (byRecord) => (byRecord && store !== null ? store.getRecord(key) : null),
      (e: unknown) => landedMeanwhile(e, store, key),
    );
    if (landed) return this.#local(() => this.#cached(node, landed));
    const { seed, forced, overLock } = state;
    const job = { node, key, seed, forced, overLock, replaces: locked?.request_id, inputSha, upstream };
    return this.#remote(state, job, ours);
  }

  /**
   * A `-j` slot is held while the request is at the API (host the input, submit, wait until
   * finished): that is what the limit protects (the service's concurrency, money in flight).
   * Downloading, storing the output, the record, the out/ files and the lock entry happen after
   * it is released, so the next node submits sooner; so do the pauses before reading a finished
   * request again (node-slot.ts). A failure at the API is settled inside the slot, so with
   * stop-on-first-failure no queued node starts after it.
   */
  async #remote(state: NodeState, job: RemoteJob, known: readonly string[]): Promise<NodeOutcome> {
    const { node, key } = job;
    const t0 = this.deps.rt.monotonic();
    const ahead = this.#stage.prepareAhead(job);
    const slot = new NodeSlot(this.#limit);
    await slot.take();
    let done: Executed;
    try {
      await this.deps.coordination?.submitGate?.(); // woken from a freeze: the watcher looks first
      ahead.taken();
      const halted = this.#tally.halted();
      if (halted) return this.#tally.skip(node, halted);
      const why = this.#stage.isInflight(key) ? { reason: 'reattach' as const } : eventReason(state, key);
      this.#emit({ type: 'node-start', node: node.id, ...why });
      done = await this.#stage.run({ ...job, prepared: ahead.ready }, slot, () => this.#tally.halted());
    } catch (e) {
      return this.#tally.failOrSkip(node, e);
    } finally {
      slot.release();
    }
    const paid = this.deps.paidHint?.(node, state.seed); // an edit's way back to its paid result
    try {
      let recorded: Promise<void> | null = null;
      const outcome = await this.#commit(node, async () => {
        const targets = outputTargets(this.prepared.plan.recipe.outDir, node, done.record.ext);
        await this.#checkOutputs(node, targets, { blobSha: done.record.output_sha256, known, paid });
        const { output } = await writeOutputs(this.deps.store.blobPath(done.record.output_sha256), {
          outDir: this.prepared.plan.recipe.outDir,
          node,
          ext: done.record.ext,
          save: node.save,
          rewrite: true,
          guard: this.deps.writeGuard,
          paid,
          crashPoint: this.deps.rt.crashPoint,
          onWritten: (path) => this.deps.store.written.note(path, done.record.output_sha256),
        });
        recorded = this.#lock.record(node, done.record, output);
        this.#tally.counts.done++;
        const ms = this.deps.rt.monotonic() - t0;
        this.#emit({
          type: 'node-done',
          node: node.id,
          output,
          request_id: done.record.request_id,
          seed: state.seed,
          ms,
        });
        this.#drift.check(node, done.record, false, { lockHolds: this.#lock.holds(recorded) });
        return { kind: 'ok', path: output, output: done.output };
      });
      this.#dropJournalAfter(key, done.record.request_id, recorded, done.idUnwritten === true);
      return outcome;
    } catch (e) {
      return this.#tally.failOrSkip(node, e); // paid, not written
    }
  }

  /** `key`'s record: as resolved for the same key, unless none and an earlier watch cycle's may have landed since. */
  async #recordFor(state: NodeState, key: string): Promise<RunRecord | null> {
    if (state.key === key && (state.record !== null || !this.deps.coordination)) return state.record;
    return this.deps.store.getRecord(key);
  }

  /** Remove a finished request's journal entry once the lock on disk names the node (journal-settled.ts). */
  #dropJournalAfter(key: string, requestId: string, recorded: Promise<void> | null, ownIntent = false): void {
    const { store, rt } = this.deps;
    const self = { pid: rt.pid, isAlive: (pid: number) => rt.isAlive(pid), run: this.#run };
    const holds = this.#lock.holds(recorded);
    this.#journalDrops.push(dropOnceLocked(holds, () => dropFinishedEntry(store, key, requestId, self, ownIntent)));
  }

  #cached(node: PlanNode, hit: RunRecord): Promise<NodeOutcome> {
    return this.#commit(node, async () => {
      const { store, lockPath, writeGuard: guard } = this.deps;
      const overwrite = this.options.overwrite === true;
      const locked = this.prepared.lock.nodes[node.id];
      const at = { store, lockPath, outDir: this.prepared.plan.recipe.outDir, locked, overwrite, guard };
      this.deps.rt.crashPoint?.('cache-hit'); // the record read and marked used, its blob not yet
      const { output, restored } = await materializeHit(node, hit, at);
      const recorded = this.#lock.record(node, hit, output);
      // A killed run's request, recorded before the kill: done with once the lock names it.
      if (this.journaled.get(hit.key) === hit.request_id) this.#dropJournalAfter(hit.key, hit.request_id, recorded);
      this.#tally.counts.cached++;
      this.#emit({ type: 'node-cached', node: node.id, output, restored });
      this.#drift.check(node, hit, true);
      const blobPath = store.blobPath(hit.output_sha256);
      const upstream = await upstreamFromRecord(hit, { blobPath, providerName: hit.provider });
      return { kind: 'ok', path: output, output: upstream };
    });
  }

  /** A node the lock proves current: nothing to read or write (unless its entry lacks the request hash). */
  #lockCurrent(node: PlanNode, current: LockCurrent): Promise<NodeOutcome> {
    return this.#commit(node, async () => {
      const output = outputPathFor(this.prepared.plan.recipe.outDir, node, current.record.ext);
      if (current.entry.request_sha256 === undefined) this.#lock.record(node, current.record, output);
      this.#current.served(node, current);
      this.#tally.counts.cached++;
      this.#emit({ type: 'node-cached', node: node.id, output, restored: false });
      if (node.maxChange !== undefined) {
        const stored = await this.#current.stored(node, current);
        if (stored) this.#drift.check(node, stored, true);
      }
      return { kind: 'ok', path: output, output: LockCurrentNodes.upstream(current) };
    });
  }

  /**
   * Outputs and lock entries are written in a section that first checks the stop signal:
   * a stopped (superseded, in watch mode) run never writes again, and the watch session can
   * wait for the sections already begun before the next cycle reads the lock.
   */
  #commit(node: PlanNode, write: () => Promise<NodeOutcome>): Promise<NodeOutcome> {
    const section = (): Promise<NodeOutcome> =>
      this.#stop.aborted ? Promise.resolve(this.#tally.skip(node, 'stopped')) : write();
    const writes = this.deps.coordination?.writes;
    return writes ? writes.run(section) : section();
  }

  /** Refuse to overwrite what the user changed (see hand-edits.ts); true when a target must be rewritten. */
  /** Resolves whether a file was let through only as a result the cache records for the node (written-records.ts). */
  async #checkOutputs(node: PlanNode, targets: readonly string[], than: CheckAgainst): Promise<boolean> {
    // No lock (`kontext edit`): checked before it paid too (edit-target.ts), and again here, as a run's.
    const lockless = this.deps.lockPath === null;
    const [locked, overwrite] = [this.prepared.lock.nodes[node.id], this.options.overwrite === true];
    const { byRecord, ...check } = storeCheck(this.deps.store, node.id);
    await checkTargets(targets, { ...than, ...check, locked, overwrite, lockless });
    return byRecord();
  }

  #emit(e: UntimedRunEvent): void {
    this.deps.onEvent({ ...e, t: this.deps.rt.monotonic() - this.#started } as RunEvent);
  }
}
