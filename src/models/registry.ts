/**
 * The model table and its look-ups. A recipe names a model the same way on every host: our id
 * (RunComfy-style, `blackforestlabs/flux-1-kontext/pro/edit`), a short alias (`flux-kontext-pro`)
 * or the host's own endpoint id (`fal-ai/flux-pro/kontext`); all three resolve to one entry and
 * the plan, lock and cache key carry our id. RunComfy (and the emulator, which speaks its
 * protocol) also runs catalog models not in the table: any `owner/name/...` id, unchecked.
 */
import { BFL_KONTEXT_MAX } from './bfl/kontext-max.js';
import { BFL_KONTEXT_PRO } from './bfl/kontext-pro.js';
import { FAL_KONTEXT_MAX } from './fal/kontext-max.js';
import { FAL_KONTEXT_PRO } from './fal/kontext-pro.js';
import { REPLICATE_KONTEXT_MAX } from './replicate/kontext-max.js';
import { REPLICATE_KONTEXT_PRO } from './replicate/kontext-pro.js';
import { RUNCOMFY_KONTEXT_DEV } from './runcomfy/kontext-dev.js';
import { RUNCOMFY_KONTEXT_MAX } from './runcomfy/kontext-max.js';
import { RUNCOMFY_KONTEXT_PRO } from './runcomfy/kontext-pro.js';
import { PROVIDER_NAMES, type ModelEntry, type ProviderName, type TableProvider } from './types.js';

/** The model a recipe runs when it names none. */
export const DEFAULT_MODEL = 'blackforestlabs/flux-1-kontext/pro/edit';

/** `owner/name/...`: at least two path segments of safe characters (a catalog id). */
export const MODEL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*(?:\/[A-Za-z0-9][A-Za-z0-9._-]*)+$/;

/** Every (provider, model) endpoint kontext knows. */
export const MODEL_TABLE: readonly ModelEntry[] = [
  RUNCOMFY_KONTEXT_PRO,
  RUNCOMFY_KONTEXT_MAX,
  RUNCOMFY_KONTEXT_DEV,
  BFL_KONTEXT_PRO,
  BFL_KONTEXT_MAX,
  FAL_KONTEXT_PRO,
  FAL_KONTEXT_MAX,
  REPLICATE_KONTEXT_PRO,
  REPLICATE_KONTEXT_MAX,
];

export function isProviderName(name: string): name is ProviderName {
  return (PROVIDER_NAMES as readonly string[]).includes(name);
}

/** Whose table a provider uses: the emulator speaks RunComfy's protocol. */
export function tableProviderOf(provider: ProviderName): TableProvider {
  return provider === 'emulator' ? 'runcomfy' : provider;
}

/** The table entries of `provider`, in table order. */
export function modelsOf(provider: ProviderName): readonly ModelEntry[] {
  const table = tableProviderOf(provider);
  return MODEL_TABLE.filter((m) => m.provider === table);
}

/** Whether `provider` also runs models not in the table (RunComfy's catalog; the emulator). */
export function acceptsCatalogModels(provider: ProviderName): boolean {
  return tableProviderOf(provider) === 'runcomfy';
}

/** The entry `model` names on `provider` (by our id, an alias or the endpoint id), if any. */
export function lookupModel(provider: ProviderName, model: string): ModelEntry | undefined {
  return modelsOf(provider).find((m) => m.id === model || m.endpoint === model || m.aliases.includes(model));
}

/** Every name `provider` knows its table models by (ids, aliases, endpoints): for did-you-mean. */
export function modelNamesOf(provider: ProviderName): string[] {
  return [...new Set(modelsOf(provider).flatMap((m) => [m.id, ...m.aliases, m.endpoint]))];
}

/** Our id for `model` on `provider`; a catalog id stays as written. */
export function canonicalModelId(provider: ProviderName, model: string): string {
  return lookupModel(provider, model)?.id ?? model;
}

/** Whether `provider` can run `model` at all (a table entry, or a catalog id where allowed). */
export function providerRuns(provider: ProviderName, model: string): boolean {
  return lookupModel(provider, model) !== undefined || (acceptsCatalogModels(provider) && MODEL_ID_PATTERN.test(model));
}
