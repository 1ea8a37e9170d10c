/** Provider sessions opened on first use and shared (watch mode runs many cycles on one). */
import type { ProviderName } from '../recipe/types.js';
import type { Runtime } from '../runtime.js';
import { openProviderSession, type ProviderSession, type SessionOptions } from './session.js';

export class SessionPool {
  readonly #sessions = new Map<ProviderName, Promise<ProviderSession>>();

  constructor(
    readonly rt: Runtime,
    readonly options: SessionOptions = {},
  ) {}

  get(name: ProviderName): Promise<ProviderSession> {
    let session = this.#sessions.get(name);
    if (!session) {
      session = openProviderSession(name, this.rt, this.options);
      // A failed open (no token) is not remembered: the next cycle may succeed.
      session.catch(() => this.#sessions.delete(name));
      this.#sessions.set(name, session);
    }
    return session;
  }

  async closeAll(): Promise<void> {
    const all = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all(all.map(async (s) => (await s.catch(() => null))?.close()));
  }
}
