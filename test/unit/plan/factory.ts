/** Builds resolved Recipe objects for planner tests: no I/O, defaults like the loader's. */
import type { Pass, Recipe, Source } from '../../../src/recipe/types.js';

export interface PassSpec {
  readonly id: string;
  readonly prompt?: string;
  /** A source or pass name; default: the previous pass, else the first source. */
  readonly from?: string;
  readonly seed?: number;
  readonly variants?: number;
  readonly save?: string;
  readonly aspectRatio?: string;
  readonly params?: Record<string, unknown>;
}

/** `'portrait.jpg'` = a file, `'https://…'` = a URL, `['a', 'b']` = a glob with those stems. */
export type SourceSpec = string | readonly string[];

export const DIR = '/proj/recipes';

export function makeRecipe(sources: Record<string, SourceSpec>, passes: readonly PassSpec[]): Recipe {
  const srcs = Object.entries(sources).map(([name, spec]) => makeSource(name, spec));
  const firstSource = srcs[0]?.name ?? 'none';
  const resolved: Pass[] = passes.map((p, i) => {
    const fromName = p.from ?? passes[i - 1]?.id ?? firstSource;
    return {
      id: p.id,
      prompt: p.prompt ?? `Prompt for ${p.id}`,
      from: sources[fromName] !== undefined ? { kind: 'source', name: fromName } : { kind: 'pass', id: fromName },
      seed: p.seed,
      aspectRatio: p.aspectRatio,
      variants: p.variants ?? 1,
      save: p.save,
      model: 'blackforestlabs/flux-1-kontext/pro/edit',
      params: p.params ?? {},
    };
  });
  return {
    file: `${DIR}/test.yml`,
    displayPath: 'recipes/test.yml',
    dir: DIR,
    projectRoot: '/proj',
    name: 'test',
    provider: 'emulator',
    model: 'blackforestlabs/flux-1-kontext/pro/edit',
    outDir: '/proj/out/test',
    sources: srcs,
    passes: resolved,
    warnings: [],
  };
}

function makeSource(name: string, spec: SourceSpec): Source {
  if (typeof spec !== 'string') {
    return {
      name,
      kind: 'glob',
      spec: `assets/${name}/*.jpg`,
      instances: spec.map((stem) => ({ instance: stem, path: `${DIR}/assets/${name}/${stem}.jpg` })),
    };
  }
  if (spec.startsWith('https://')) return { name, kind: 'url', spec, instances: [{ instance: null, url: spec }] };
  return { name, kind: 'file', spec, instances: [{ instance: null, path: `${DIR}/${spec}` }] };
}

/**
 * The example of docs/architecture.md#the-recipe: background -> jacket -> umbrella,
 * umbrella-blue (×3) from jacket.
 */
export function designExample(): Recipe {
  return makeRecipe({ portrait: 'assets/portrait.jpg' }, [
    {
      id: 'background',
      prompt:
        "Keep the person's face, pose and clothing unchanged. Replace the background with a rainy street at night.",
    },
    {
      id: 'jacket',
      prompt: 'Keep the face, pose and background unchanged. Change her jacket to a yellow raincoat.',
      seed: 42,
    },
    { id: 'umbrella', prompt: 'She is now holding an orange umbrella and smiling', save: '/proj/final/{source}.{ext}' },
    { id: 'umbrella-blue', from: 'jacket', prompt: 'She is now holding a blue umbrella', variants: 3 },
  ]);
}
