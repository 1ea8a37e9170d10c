/**
 * Which environment variables hold each provider's credentials. `kontext providers` reports
 * them as set or missing — never their values.
 */
import type { ProviderName } from './types.js';

export interface ProviderCredentials {
  /** Any one group fully set (non-blank) is enough; `[]`: no credentials needed. */
  readonly envGroups: readonly (readonly string[])[];
  /** Other places a credential may come from. */
  readonly note?: string | undefined;
}

export const PROVIDER_CREDENTIALS: Readonly<Record<ProviderName, ProviderCredentials>> = {
  runcomfy: {
    envGroups: [['RUNCOMFY_TOKEN']],
    note: 'or token.json in $RUNCOMFY_CONFIG_DIR, $XDG_CONFIG_HOME/runcomfy or ~/.config/runcomfy',
  },
  emulator: { envGroups: [] },
  bfl: { envGroups: [['BFL_API_KEY']] },
  fal: { envGroups: [['FAL_KEY'], ['FAL_KEY_ID', 'FAL_KEY_SECRET']] },
  replicate: { envGroups: [['REPLICATE_API_TOKEN']] },
};

/** The first env group of `provider` whose variables are all set and non-blank, or `null`. */
export function credentialEnvSet(
  provider: ProviderName,
  env: Readonly<Record<string, string | undefined>>,
): readonly string[] | null {
  const groups = PROVIDER_CREDENTIALS[provider].envGroups;
  return groups.find((g) => g.every((name) => (env[name] ?? '').trim() !== '')) ?? null;
}

/**
 * What must never be printed of a fal key, and never be carried by a request id or output URL:
 * the key, and for one written `key_id:key_secret` each half alone too (an error body may echo
 * just one; the id is only the key's name, but the README promises the key is scrubbed whole).
 */
export function falKeySecrets(key: string): string[] {
  const colon = key.indexOf(':');
  if (colon === -1) return [key];
  return [key, key.slice(0, colon), key.slice(colon + 1)].filter((s) => s !== '');
}
