/**
 * What `kontext providers` says about the network: the proxies the environment names (without
 * their user and password) and the hosts reached directly, or why a variable would stop a run.
 * See docs/architecture.md#proxies.
 */
import { proxyLabel, proxySettingsOf } from './proxy.js';

export interface ProxySummary {
  /** The proxy of https:// URLs (labelled), `null` when they go directly. */
  readonly https: string | null;
  /** The proxy of http:// URLs (labelled), `null` when they go directly. */
  readonly http: string | null;
  /** NO_PROXY as set, `null` when unset. */
  readonly noProxy: string | null;
  /** Why a run would stop on these variables (exit 64), when it would. */
  readonly problem?: string;
}

export function proxySummary(env: Readonly<Record<string, string | undefined>>): ProxySummary {
  try {
    const s = proxySettingsOf(env);
    if (s === null) return { https: null, http: null, noProxy: null };
    return {
      https: s.https === '' ? null : proxyLabel(s.https),
      http: s.http === '' ? null : proxyLabel(s.http),
      noProxy: s.noProxy === '' ? null : s.noProxy,
    };
  } catch (e) {
    return { https: null, http: null, noProxy: null, problem: e instanceof Error ? e.message : String(e) };
  }
}
