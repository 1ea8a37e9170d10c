/**
 * The summaries of a watch session's runs. Each cycle's is sent as its run ends; a run that ends
 * as watching ends (the signal aborted, or the session closed) has its summary held until the
 * session has waited for its uploads to the remote cache, so that summary is the session's last
 * event, after the uploads' notices.
 */
import type { FinishedRun, RunSummary } from '../run/scheduler.js';

export class EndSummaries {
  readonly #held: FinishedRun[] = [];

  constructor(private readonly ending: () => boolean) {}

  /** `finished`'s summary: sent now, or held while the session ends. */
  announce(finished: FinishedRun): RunSummary {
    if (!this.ending()) return finished.announce();
    this.#held.push(finished);
    return finished.summary;
  }

  /** Send the held summaries (once the session's run context is closed). */
  flush(): void {
    for (const finished of this.#held.splice(0)) finished.announce();
  }
}
