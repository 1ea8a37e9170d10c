/** Which hosting a run uses, from `--hosting`, the recipe, the provider and the user config. */
import { UsageError } from '../errors.js';
import { providerTraits } from '../providers/session.js';
import type { UserConfig } from '../recipe/index.js';
import type { HostingConfig, ProviderName } from '../recipe/types.js';

/** A user config with no file to name (HOME unset, no KONTEXT_CONFIG_DIR: none is read). */
const CONFIG_FALLBACK = '$KONTEXT_CONFIG_DIR/config.json';

/**
 * Which hosting a run uses: `--hosting` picks a mode (its settings from the recipe, else the
 * user config); otherwise the recipe's block; otherwise the user config's (README "Hosting your
 * images": always used, so an image over a provider's inline cap goes by URL), but for the
 * built-in emulator; otherwise the provider's default (inline for BFL, fal, Replicate and the
 * emulator); otherwise none (a local source with RunComfy then fails early). `edit`: a one-off
 * edit, which has no recipe: its `--hosting` settings come from the user config alone.
 */
export function chooseHosting(
  recipeHosting: HostingConfig | undefined,
  flag: HostingConfig['mode'] | undefined,
  user: UserConfig,
  provider: ProviderName,
  edit = false,
): HostingConfig | null {
  if (flag === 'inline') return { mode: 'inline' };
  if (flag !== undefined) {
    if (recipeHosting?.mode === flag) return recipeHosting;
    if (user.hosting?.mode === flag) return user.hosting;
    const file = user.file ?? CONFIG_FALLBACK;
    if (edit)
      throw new UsageError(
        `--hosting ${flag}: no \`"hosting": { "mode": "${flag}", ... }\` settings in the user config`,
        {
          hint: `add them to ${file} (see README "Hosting your images"), or use --hosting inline`,
        },
      );
    throw new UsageError(
      `--hosting ${flag}: no \`hosting: { mode: ${flag}, ... }\` settings in the recipe or the user config`,
      {
        hint: `add the block to the recipe or to ${file} (see README "Hosting your images"), or use --hosting inline`,
      },
    );
  }
  const fallback = providerTraits(provider).defaultHosting;
  // The built-in emulator runs with no account and no network (`npm run demo`): the user config's
  // upload destination is not used for it unless asked for (--hosting); the recipe's block still is.
  if (provider === 'emulator') return recipeHosting ?? fallback;
  return recipeHosting ?? user.hosting ?? fallback ?? null;
}
