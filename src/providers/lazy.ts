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
  /** The session once open: a request is named by it (the one a wait or a submit opened). */
  let opened: ProviderSession | null = null;
  const get = (): Promise<ProviderSession> =>
    (session ??= open().then((s) => {
      opened = s;
      return s;
    }));
  const provider: Provider = {
    name,
    modelInfo: async (...a) => (await get()).provider.modelInfo(...a),
    submit: async (...a) => (await get()).provider.submit(...a),
    wait: async (...a) => (await get()).provider.wait(...a),
    cancel: async (...a) => (await get()).provider.cancel(...a),
    download: async (...a) => (await get()).provider.download(...a),
    requestName: (id) => opened?.provider.requestName?.(id) ?? id,
  };
  return {
    provider,
    get,
    close: async () => {
      const closing = session;
      session = null;
      opened = null;
      if (closing) await (await closing.catch(() => null))?.close();
    },
  };
}
