/**
 * Whether a provider's API runs on this machine: the in-process emulator, or a base URL
 * (`RUNCOMFY_MODEL_API_BASE`, `BFL_API_BASE`, `FAL_QUEUE_BASE`, `REPLICATE_API_BASE`, as each client
 * resolves it) on loopback, as in tests and the demo. Such an API can fetch a loopback or private
 * input URL; the public APIs cannot (hosting refuses to hand them one). A base on a private network
 * is not local: it is most likely a company gateway passing the submit on to the paid public API
 * (walk-af 9), which could not fetch a `192.168.x` URL either.
 */
import { isIP } from 'node:net';
import type { ProviderName } from '../models/types.js';
import type { Runtime } from '../runtime.js';
import { privateUrlKind } from '../util/private-host.js';
import { resolveBflBaseUrl } from './bfl/auth.js';
import { resolveFalBaseUrl } from './fal/auth.js';
import { resolveReplicateBase } from './replicate/auth.js';
import { resolveBaseUrl } from './runcomfy/auth.js';

const BASE_URL: Readonly<Record<Exclude<ProviderName, 'emulator'>, (rt: Runtime) => string>> = {
  runcomfy: resolveBaseUrl,
  bfl: resolveBflBaseUrl,
  fal: resolveFalBaseUrl,
  replicate: resolveReplicateBase,
};

/**
 * Whether `name`'s API is on this very machine: the in-process emulator, or a base URL on loopback.
 * `name` is a provider name (a node's, as the run knows it); one not in the table has no local API.
 */
export function apiIsLocal(name: ProviderName | string, rt: Runtime): boolean {
  if (name === 'emulator') return true;
  const base = Object.hasOwn(BASE_URL, name) ? BASE_URL[name as keyof typeof BASE_URL] : undefined;
  return base !== undefined && privateUrlKind(base(rt)) === 'loopback';
}

/**
 * Whether an API can only be a test's, for the test suite's knobs (test-poll.ts): the in-process
 * emulator, or a base URL whose host is a loopback IP literal or exactly `localhost` — not a
 * `*.localhost` name or `localhost.`, which a resolver may send elsewhere — or a name under
 * `.invalid`, which never resolves (RFC 6761 §6.4): only a test's own proxy can reach it, so no
 * paid API can be behind it.
 */
export function apiIsTestOnly(name: ProviderName | string, rt: Runtime): boolean {
  if (name === 'emulator') return true;
  const base = Object.hasOwn(BASE_URL, name) ? BASE_URL[name as keyof typeof BASE_URL](rt) : '';
  const host = URL.canParse(base) ? new URL(base).hostname.replace(/^\[|\]$/g, '') : '';
  if (/^[^.]+(\.[^.]+)*\.invalid\.?$/.test(host)) return true;
  return apiIsLocal(name, rt) && (host === 'localhost' || isIP(host) !== 0);
}
