/**
 * The API side of the scheduler's nodes (scheduler.ts): a node's input is prepared ahead of its
 * `-j` slot, then inside the slot it is submitted — or it joins a request for the same key that
 * is already in flight — and the slot is held until the request is finished at the API
 * (node-slot.ts). A joined request that must be submitted again (a re-host, a re-attach given up)
 * while the run that submitted it takes no new work (a superseded watch cycle) is submitted by
 * the joining node, in its own slot: its run is the one that still wants it.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import type { PlanNode } from '../plan/types.js';
import { deferred } from '../util/deferred.js';
import { executeNode, prepareNode, type Executed, type ExecuteDeps, type Job, type PreparedNode } from './execute.js';
import { NotSubmittedAgain, type NodeSlot } from './node-slot.js';
import type { InflightRequests } from './options.js';

/** A node that goes to the API: what its request is keyed and built from. */
export type RemoteJob = Pick<
  Job,
  'node' | 'key' | 'seed' | 'forced' | 'overLock' | 'replaces' | 'inputSha' | 'upstream'
>;

export class RemoteStage {
  /** Places for nodes looking up their journal entry and input ahead of their -j slot. */
  readonly #ahead: LimitFunction;

  constructor(
    jobs: number,
    private readonly inflight: InflightRequests,
    private readonly execFor: (node: PlanNode) => ExecuteDeps,
  ) {
    this.#ahead = pLimit(Math.max(1, jobs));
  }

  /** Whether a request for `key` is already in flight (this node will re-attach to it). */
  isInflight(key: string): boolean {
    return this.inflight.get(key) !== undefined;
  }

  /**
   * Look up the journal and host the input before the node's -j slot is free, at most `jobs`
   * nodes ahead (a node keeps its place until it gets its slot), so a freed slot goes straight
   * to submitting instead of spending its first milliseconds on look-ups.
   */
  prepareAhead(job: Pick<Job, 'node' | 'key' | 'inputSha' | 'upstream'>): {
    readonly ready: Promise<PreparedNode>;
    readonly taken: () => void;
  } {
    const slotTaken = deferred<void>();
    const ready = deferred<PreparedNode>();
    void this.#ahead(async () => {
      try {
        ready.resolve(await prepareNode(job, this.execFor(job.node)));
      } catch (e) {
        ready.reject(e);
      }
      await slotTaken.promise;
    });
    ready.promise.catch(() => undefined); // handled: the node awaits it in its slot
    return { ready: ready.promise, taken: () => slotTaken.resolve() };
  }

  /**
   * The node's request, submitted or joined, in `slot` (held when called): the node gives it up
   * when the request is finished at the API or while it waits to read it again, and takes one
   * again before any new submit, unless `halted` says the run takes no new work (then the node
   * ends with an error, its journal entry kept). A joined request holds the slot until it is done;
   * should its own run stop before submitting it again, this node submits it (see the module comment).
   */
  async run(
    job: RemoteJob & { readonly prepared?: Promise<PreparedNode> | undefined; readonly rehost?: Job['rehost'] },
    slot: NodeSlot,
    halted: () => unknown,
  ): Promise<Executed> {
    const existing = this.inflight.get(job.key);
    if (existing === undefined) return this.#submit(this.#owned(job, slot, halted));
    try {
      return await existing.promise;
    } catch (e) {
      if (!(e instanceof NotSubmittedAgain) || halted()) throw e;
      // Its journal look-up and input, made ahead, predate what that run did with the key: made again
      // (or, to re-host, the input hosted anew). Another node that joined it may have taken it over: joined.
      const rehost = e.rehost ? { rehost: e.failed ?? (true as const) } : {};
      return this.run({ ...job, prepared: undefined, ...rehost }, slot, halted);
    }
  }

  /** The job as submitted by this node, in `slot`. */
  #owned(job: Omit<Job, 'abandoned' | 'remoteDone' | 'slotAgain'>, slot: NodeSlot, halted: () => unknown) {
    return {
      ...job,
      remoteDone: () => slot.release(),
      slotAgain: async (rehost: boolean) => {
        await slot.take();
        const why = halted();
        if (why) throw new NotSubmittedAgain(String(why), rehost);
      },
    };
  }

  #submit(job: Omit<Job, 'abandoned'>): Promise<Executed> {
    const abandon = new AbortController();
    // The journal entry stays until the lock holds the node (scheduler.ts): until then it is the
    // only place a drawn seed survives a kill -9.
    const promise = executeNode({ ...job, abandoned: abandon.signal }, this.execFor(job.node));
    this.inflight.track(job.key, promise, () => abandon.abort());
    return promise;
  }
}
