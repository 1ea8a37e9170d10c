/**
 * Time that counts only while this process ran. A caller that looks at least every `stepMs`
 * (a 1 s interval, say) can tell a stop from the gap between two looks: a gap past twice the
 * step means the event loop did not run meanwhile (the process stopped with Ctrl-Z or SIGSTOP,
 * a machine asleep, a long synchronous call), and all of it but one step is left out. So a pace
 * or a deadline is not failed on waking for time nothing could arrive in (walk-ac: a laptop lid
 * closed mid-download).
 */
export class AwakeClock {
  readonly #start: number;
  #last: number;
  #asleep = 0;

  constructor(
    private readonly stepMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#start = now();
    this.#last = this.#start;
  }

  /** Looks begin now: the time since the start (or the last look) counts whole, awake. */
  watchFromNow(): void {
    this.#last = this.now();
  }

  /** Milliseconds since the start that this process ran (looked at: counts the gap since the last look). */
  elapsed(): number {
    const now = this.now();
    const gap = now - this.#last;
    if (gap > 2 * this.stepMs) this.#asleep += gap - this.stepMs;
    this.#last = now;
    return now - this.#start - this.#asleep;
  }
}
