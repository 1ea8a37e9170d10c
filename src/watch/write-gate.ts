/**
 * Watch mode: runs overlap in time (a superseded run still waits for requests it paid for),
 * so their writes must not. A run's output and lock writes go through the gate as sections
 * that first check the run's stop signal; once a run is stopped it never writes again, and
 * `settled()` waits for the sections it had already begun. The next cycle stops the old run,
 * waits here, and only then reads the lock: nothing stale can land after a newer write.
 */
import type { WriteSections } from '../run/options.js';

export class WriteGate implements WriteSections {
  readonly #open = new Set<Promise<unknown>>();

  /** Run one write section. `section` must check its run's stop signal synchronously, first. */
  run<T>(section: () => Promise<T>): Promise<T> {
    const p = section();
    this.#open.add(p);
    const done = (): void => {
      this.#open.delete(p);
    };
    p.then(done, done);
    return p;
  }

  /** Resolves when every section begun so far has ended. */
  async settled(): Promise<void> {
    while (this.#open.size > 0) await Promise.allSettled([...this.#open]);
  }

  get size(): number {
    return this.#open.size;
  }
}
