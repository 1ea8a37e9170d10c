/**
 * Whether a provider's API runs on this machine or a private network: the in-process emulator,
 * or a base URL (`RUNCOMFY_MODEL_API_BASE`, `BFL_API_BASE`, `FAL_QUEUE_BASE`, `REPLICATE_API_BASE`)
 * on loopback, as in tests and the demo. Such an API can fetch a loopback or private input URL;
 * the public APIs cannot (hosting refuses to hand them one).
 */
import type { ProviderName } from '../models/types.js';
import type { Runtime } from '../runtime.js';
import { privateUrlKind } from '../util/private-host.js';

const BASE_ENV: Readonly<Record<Exclude<ProviderName, 'emulator'>, string>> = {
  runcomfy: 'RUNCOMFY_MODEL_API_BASE',
  bfl: 'BFL_API_BASE',
  fal: 'FAL_QUEUE_BASE',
  replicate: 'REPLICATE_API_BASE',
};

export function apiIsLocal(name: ProviderName, rt: Runtime): boolean {
  if (name === 'emulator') return true;
  const base = rt.env[BASE_ENV[name]]?.trim();
  return base !== undefined && base !== '' && privateUrlKind(base) !== null;
}
