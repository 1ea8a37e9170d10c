/**
 * What `kontext providers` shows: each provider, whether this build has a client for it, whether
 * its credentials are present (the env var names and "set"/"missing" — never a value), and its
 * models from the table with their aliases, endpoint ids and prices.
 */
import { PROVIDER_CREDENTIALS, credentialEnvSet } from '../models/credentials.js';
import { modelsOf } from '../models/registry.js';
import { PROVIDER_NAMES, type ProviderName } from '../models/types.js';
import type { Runtime } from '../runtime.js';
import { hasSessionOpener } from './session.js';

export interface ProviderListing {
  readonly name: ProviderName;
  /** Whether this build can open a session to it. */
  readonly available: boolean;
  readonly credentials: {
    /** `not-needed` for the emulator. */
    readonly state: 'set' | 'missing' | 'not-needed';
    /** The env var names that hold it (one group is enough: `FAL_KEY` or `FAL_KEY_ID`+`FAL_KEY_SECRET`). */
    readonly env: readonly (readonly string[])[];
    /** Where it was found: env var names, or `token file`. */
    readonly from: readonly string[];
    readonly note?: string | undefined;
  };
  readonly models: readonly {
    readonly id: string;
    readonly aliases: readonly string[];
    readonly endpoint: string;
    /** USD per image; `null`: from the provider's catalog (RunComfy) or its own (emulator). */
    readonly priceUsd: number | null;
  }[];
}

export async function listProviders(rt: Runtime): Promise<ProviderListing[]> {
  return Promise.all(PROVIDER_NAMES.map((name) => listing(name, rt)));
}

async function listing(name: ProviderName, rt: Runtime): Promise<ProviderListing> {
  const spec = PROVIDER_CREDENTIALS[name];
  const fromEnv = credentialEnvSet(name, rt.env);
  let from: readonly string[] = fromEnv ?? [];
  if (fromEnv === null && name === 'runcomfy' && (await runcomfyTokenFile(rt))) from = ['token file'];
  let state: ProviderListing['credentials']['state'] = from.length > 0 ? 'set' : 'missing';
  if (spec.envGroups.length === 0) state = 'not-needed';
  return {
    name,
    available: hasSessionOpener(name),
    credentials: { state, env: spec.envGroups, from, ...(spec.note ? { note: spec.note } : {}) },
    models: modelsOf(name).map((m) => ({
      id: m.id,
      aliases: m.aliases,
      endpoint: m.endpoint,
      priceUsd: typeof m.priceUsd === 'number' ? m.priceUsd : null,
    })),
  };
}

/** Whether RunComfy's token file holds a token (read the way a run reads it; never shown). */
async function runcomfyTokenFile(rt: Runtime): Promise<boolean> {
  const { resolveToken } = await import('./runcomfy/auth.js');
  return resolveToken(rt).then(
    (t) => t.source === 'file',
    () => false,
  );
}
