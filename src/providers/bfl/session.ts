/** Opening a BFL session for a run: key and base URL from the environment, checked before any request. */
import type { Runtime } from '../../runtime.js';
import { parseAllowHosts } from '../runcomfy/host-allow.js';
import type { ProviderSession, SessionOptions } from '../session.js';
import { resolveBflBaseUrl, resolveBflKey } from './auth.js';
import { createBflProvider } from './client.js';

export function openBflSession(rt: Runtime, options: SessionOptions): ProviderSession {
  const provider = createBflProvider({
    ...options,
    key: resolveBflKey(rt),
    baseUrl: resolveBflBaseUrl(rt),
    rt,
    allowHosts: parseAllowHosts(rt.env['KONTEXT_ALLOW_HOSTS']),
  });
  return { name: 'bfl', provider, warnings: [], close: () => provider.close() };
}
