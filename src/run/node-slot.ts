/**
 * One node's hold on a `-j` slot (scheduler.ts). The slot covers a request's time at the API;
 * a node gives it up when the request is finished there (before downloading), and also while it
 * only waits to read a finished request again (remote-outcome.ts): other nodes submit meanwhile.
 * A node that must then submit anew (a re-attach given up, a re-host) takes a slot again first,
 * so no more than `-j` requests are ever submitted or running at once.
 */
import type { LimitFunction } from 'p-limit';
import { ExitCode, KontextError } from '../errors.js';
import type { FetchFailed } from './remote-outcome.js';

/**
 * A node that must submit anew (a re-attach given up, a re-host) whose run takes no new work
 * (stopped: superseded in watch mode; interrupted; a failure stopped it): nothing is submitted.
 * A node of a later run that joined its request submits it instead (remote-stage.ts); `rehost`:
 * the API could not fetch the input, whose request's journal entry is gone: host it anew, once
 * (`failed`: the URL it could not fetch, which the re-host must not send again).
 */
export class NotSubmittedAgain extends KontextError {
  override readonly name = 'NotSubmittedAgain';
  constructor(
    private readonly why: string,
    readonly rehost: boolean,
    readonly failed: FetchFailed | null = null,
  ) {
    super('E_NOT_SUBMITTED_AGAIN', `not submitted again: the run is ${why}`, { exitCode: ExitCode.TEMP_FAIL });
  }

  /** The same, naming the URL the API could not fetch (for the node that takes the re-host over). */
  carrying(failed: FetchFailed): NotSubmittedAgain {
    return new NotSubmittedAgain(this.why, this.rehost, failed);
  }
}

export class NodeSlot {
  /** Ends the slot's task in the limit (frees the slot); `null` while not held. */
  #free: (() => void) | null = null;
  #taking: Promise<void> | null = null;

  constructor(private readonly limit: LimitFunction) {}

  get held(): boolean {
    return this.#free !== null;
  }

  /** Wait for a slot (behind the nodes already waiting) and hold it; at once when held. */
  take(): Promise<void> {
    if (this.#free !== null) return Promise.resolve();
    this.#taking ??= new Promise<void>((held) => {
      void this.limit(
        () =>
          new Promise<void>((free) => {
            this.#free = free;
            this.#taking = null;
            held();
          }),
      );
    });
    return this.#taking;
  }

  /** Give the slot back (nothing when not held). */
  release(): void {
    const free = this.#free;
    this.#free = null;
    free?.();
  }
}
