/**
 * The recipe every end-to-end hosting test runs: a three-pass chain on one local portrait
 * (background → raincoat → umbrella: the later passes take the previous output) and one pass
 * fanned out over a small glob of product shots. Three distinct local images in all.
 */
import type { HostingConfig } from '../../../src/index.js';

export interface RecipeVariant {
  /** `hosting:` block; omitted: none (the user config or `--hosting` decides). */
  readonly hosting?: HostingConfig;
  /** Change a pass's prompt to make it (and what follows) run again. */
  readonly prompts?: Partial<Record<'background' | 'raincoat' | 'umbrella' | 'label', string>>;
}

export const CHAIN = ['background', 'raincoat', 'umbrella'] as const;
const GLOB_NODES = ['label@cat', 'label@coffee'] as const;
export const ALL_NODES = [...CHAIN, ...GLOB_NODES];

export function recipeYaml(variant: RecipeVariant = {}): string {
  const p = {
    background: 'Keep the person unchanged. Replace the background with a rainy street at night.',
    raincoat: 'Keep the face and the background unchanged. Change the suit to a yellow raincoat.',
    umbrella: 'Keep everything else unchanged. Add an orange umbrella in her hand.',
    label: 'Keep the object unchanged. Replace the background with plain white.',
    ...variant.prompts,
  };
  // JSON is valid YAML (flow style): no quoting rules to get wrong.
  const hosting = variant.hosting ? `hosting: ${JSON.stringify(variant.hosting)}\n` : '';
  return `version: 1
name: chain
provider: runcomfy
${hosting}sources:
  portrait: assets/portrait.jpg
  shots: assets/shots/*.jpg
passes:
  - id: background
    from: portrait
    prompt: ${JSON.stringify(p.background)}
    seed: 11
  - id: raincoat
    prompt: ${JSON.stringify(p.raincoat)}
    seed: 12
  - id: umbrella
    prompt: ${JSON.stringify(p.umbrella)}
    seed: 13
  - id: label
    from: shots
    prompt: ${JSON.stringify(p.label)}
    seed: 14
`;
}
