/**
 * A watch process frozen mid-run (`kill -STOP`, a debugger, a laptop asleep) wakes with the old
 * plan's nodes waiting for a `-j` slot, and the file events of the edits made meanwhile queued: the
 * slots freed at once by the requests that finished meanwhile sent those nodes with the old plan,
 * before the watcher read the events (walk-ak 5: cancelled while queued on RunComfy, paid where a
 * host starts a job at once). While a run goes on, a tick every {@link TICK_MS} notices a freeze
 * (a tick more than {@link STALL_MS} late); new submits then wait (`gate`, run/options.ts's
 * `submitGate`) until the watcher has looked: no file event within {@link LOOK_MS} (nothing
 * changed), or the cycle of the events told meanwhile planned (`looked`), {@link MAX_HOLD_MS} at
 * most. A superseded run's held nodes then submit nothing (its stop). No tick while idle. Both
 * clocks are read: the monotonic one goes on while the process is stopped, the wall clock while
 * the machine sleeps too.
 */
import type { Runtime } from '../runtime.js';

const TICK_MS = 1_000;
/** A tick this much later than due: the process was stopped. */
const STALL_MS = 2_000;
/** Without a file event this long after waking, nothing changed meanwhile: submits go on. */
const LOOK_MS = 300;
/** A change told after waking: held until its cycle has planned, at most this long. */
const MAX_HOLD_MS = 5_000;

export class ResumeHold {
  #ticker: NodeJS.Timeout | null = null;
  #lastTick = { wall: 0, mono: 0 };
  #runs = 0;
  /** File events told so far (`changeSeen`): a look covers those told before its batch was taken. */
  #changes = 0;
  #held: { readonly promise: Promise<void>; readonly open: () => void; timer: NodeJS.Timeout } | null = null;

  constructor(private readonly clocks: Pick<Runtime, 'now' | 'monotonic'>) {}

  /** A run of the session goes on until `done` settles: a freeze meanwhile holds its submits on waking. */
  during(done: Promise<unknown>): void {
    this.#runs++;
    if (this.#ticker === null) {
      this.#lastTick = this.#now();
      this.#ticker = setInterval(() => this.#tick(), TICK_MS);
      this.#ticker.unref();
    }
    void done
      .catch(() => undefined)
      .finally(() => {
        if (--this.#runs > 0 || this.#ticker === null) return;
        clearInterval(this.#ticker);
        this.#ticker = null;
      });
  }

  /** Resolves when a node may submit: at once, unless the process just woke from a freeze. */
  readonly gate = (): Promise<void> | undefined => this.#held?.promise;

  /** How many file events were told so far: what a look at the batch taken now covers. */
  get changes(): number {
    return this.#changes;
  }

  /** A file event (the watcher's): held on, until its cycle has planned. */
  changeSeen(): void {
    this.#changes++;
    if (this.#held) this.#rearm(MAX_HOLD_MS);
  }

  /** The watcher planned (or found nothing to plan in) the events told up to `changes`: submits go on. */
  looked(changes: number): void {
    if (changes >= this.#changes) this.#open();
  }

  /** Watching ends: the gate opens, the ticker stops. */
  close(): void {
    if (this.#ticker !== null) clearInterval(this.#ticker);
    this.#ticker = null;
    this.#open();
  }

  #now(): { wall: number; mono: number } {
    return { wall: this.clocks.now(), mono: this.clocks.monotonic() };
  }

  #tick(): void {
    const now = this.#now();
    const late = Math.max(now.wall - this.#lastTick.wall, now.mono - this.#lastTick.mono) - TICK_MS;
    this.#lastTick = now;
    if (late <= STALL_MS) return;
    if (this.#held) return this.#rearm(LOOK_MS);
    let open = (): void => undefined;
    const promise = new Promise<void>((resolve) => (open = resolve));
    this.#held = { promise, open, timer: setTimeout(() => this.#open(), LOOK_MS) };
  }

  #rearm(ms: number): void {
    const held = this.#held;
    if (held === null) return;
    clearTimeout(held.timer);
    held.timer = setTimeout(() => this.#open(), ms);
  }

  #open(): void {
    const held = this.#held;
    if (held === null) return;
    clearTimeout(held.timer);
    this.#held = null;
    held.open();
  }
}
