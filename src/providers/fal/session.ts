/** Opening a fal.ai session for a run: key and queue base from the environment, checked before any request. */
import type { Runtime } from '../../runtime.js';
import { parseAllowHosts } from '../runcomfy/host-allow.js';
import type { ProviderSession, SessionOptions } from '../session.js';
import { resolveFalBaseUrl, resolveFalKey } from './auth.js';
import { createFalProvider } from './client.js';

export function openFalSession(rt: Runtime, options: SessionOptions): ProviderSession {
  const provider = createFalProvider({
    ...options,
    key: resolveFalKey(rt),
    baseUrl: resolveFalBaseUrl(rt),
    rt,
    allowHosts: parseAllowHosts(rt.env['KONTEXT_ALLOW_HOSTS']),
  });
  return { name: 'fal', provider, warnings: [], close: () => provider.close() };
}
