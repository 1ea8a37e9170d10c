/**
 * A provider that opens its session on first use. A run with nothing to submit (everything
 * cached) then never starts the emulator or reads a token: a no-op run stays cheap.
 */
import type { Provider } from './types.js';
import type { ProviderSession } from './session.js';

export interface LazySession {
  readonly provider: Provider;
  /** Open now (e.g. to fail early on a missing token when work is known to be needed). */
  get(): Promise<ProviderSession>;
  /** Close the session if it was opened. */
  close(): Promise<void>;
}

export function lazySession(name: string, open: () => Promise<ProviderSession>): LazySession {
  let session: Promise<ProviderSession> | null = null;
  const get = (): Promise<ProviderSession> => (session ??= open());
  const provider: Provider = {
    name,
    modelInfo: async (...a) => (await get()).provider.modelInfo(...a),
    submit: async (...a) => (await get()).provider.submit(...a),
    wait: async (...a) => (await get()).provider.wait(...a),
    cancel: async (...a) => (await get()).provider.cancel(...a),
    download: async (...a) => (await get()).provider.download(...a),
  };
  return {
    provider,
    get,
    close: async () => {
      const opened = session;
      session = null;
      if (opened) await (await opened.catch(() => null))?.close();
    },
  };
}
