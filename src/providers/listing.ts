/**
 * What `kontext providers` shows: each provider, whether this build has a client for it, whether
 * its credentials are present (the env var names and "set"/"missing" — never a value), and its
 * models from the table with their aliases, endpoint ids and prices.
 */
import { PROVIDER_CREDENTIALS, credentialEnvSet } from '../models/credentials.js';
import { modelsOf } from '../models/registry.js';
import { PROVIDER_NAMES, type ProviderName } from '../models/types.js';
import type { Runtime } from '../runtime.js';
import { AuthError } from './runcomfy/errors.js';
import { hasSessionOpener } from './session.js';
import { checkKeyChars } from './wire/token-chars.js';

export interface ProviderListing {
  readonly name: ProviderName;
  /** Whether this build can open a session to it. */
  readonly available: boolean;
  readonly credentials: {
    /**
     * `not-needed` for the emulator; `unusable`: present but a run would refuse it (exit 77), for
     * the reason in `problem` (a character a header cannot carry, a token file that is not JSON).
     */
    readonly state: 'set' | 'missing' | 'unusable' | 'not-needed';
    /** Why an `unusable` credential is refused, as a run says it (never its value). */
    readonly problem?: string | undefined;
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
  let problem = fromEnv === null ? undefined : badCharsIn(fromEnv, rt.env);
  if (fromEnv === null && name === 'runcomfy') {
    const file = await runcomfyTokenFile(rt);
    if (file !== 'none') from = ['token file'];
    if (typeof file === 'object') problem = file.problem;
  }
  let state: ProviderListing['credentials']['state'] = from.length > 0 ? 'set' : 'missing';
  if (problem !== undefined) state = 'unusable';
  if (spec.envGroups.length === 0) state = 'not-needed';
  const why = state === 'unusable' ? { problem } : {};
  return {
    name,
    available: hasSessionOpener(name),
    credentials: { state, env: spec.envGroups, from, ...why, ...(spec.note ? { note: spec.note } : {}) },
    models: modelsOf(name).map((m) => ({
      id: m.id,
      aliases: m.aliases,
      endpoint: m.endpoint,
      priceUsd: typeof m.priceUsd === 'number' ? m.priceUsd : null,
    })),
  };
}

/** Why the first of these variables a run would refuse is refused (token-chars.ts); undefined when none is. */
function badCharsIn(names: readonly string[], env: Readonly<Record<string, string | undefined>>): string | undefined {
  for (const name of names) {
    try {
      checkKeyChars((env[name] ?? '').trim(), name, '');
    } catch (e) {
      return e instanceof AuthError ? e.message : String(e);
    }
  }
  return undefined;
}

/**
 * RunComfy's token file read the way a run reads it (never shown): `none` when there is none, or
 * no config folder; `usable`; or why a run would refuse it (not JSON, no access_token, a bad character).
 */
async function runcomfyTokenFile(rt: Runtime): Promise<'none' | 'usable' | { readonly problem: string }> {
  const { NoTokenError, resolveToken } = await import('./runcomfy/auth.js');
  // Called only when RUNCOMFY_TOKEN is unset or blank: the file is what a run reads.
  return resolveToken(rt).then(
    () => 'usable' as const,
    (e: unknown) => (e instanceof NoTokenError ? 'none' : { problem: e instanceof Error ? e.message : String(e) }),
  );
}
