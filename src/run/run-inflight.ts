/** The in-flight requests of a lone run, by key (watch mode shares one registry across cycles instead). */
import type { Executed } from './execute.js';
import type { InflightRequests } from './options.js';

/** A lone run's requests in flight by key (nodes of one run that share a key share the request). */
export class RunInflight implements InflightRequests {
  readonly #entries = new Map<string, { readonly promise: Promise<Executed> }>();

  get(key: string): { readonly promise: Promise<Executed> } | undefined {
    return this.#entries.get(key);
  }

  track(key: string, promise: Promise<Executed>): void {
    this.#entries.set(key, { promise });
    const drop = (): void => {
      if (this.#entries.get(key)?.promise === promise) this.#entries.delete(key);
    };
    promise.then(drop, drop);
  }
}
