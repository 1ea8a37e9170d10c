/**
 * What watch mode must watch for a recipe: the recipe file, each local source file, and for
 * each glob the folder its static prefix names (recursively when the pattern goes deeper),
 * so a new file is a new instance and a removed one drops its nodes.
 */
import { isAbsolute, join, resolve } from 'node:path';
import { expandBraces, splitPattern } from './sources/glob-pattern.js';
import type { Recipe } from './types.js';

export interface WatchTargets {
  readonly files: readonly string[];
  readonly dirs: readonly { readonly path: string; readonly recursive: boolean }[];
}

export function watchTargets(recipe: Recipe): WatchTargets {
  const files = new Set<string>([recipe.file]);
  const dirs = new Map<string, boolean>();
  for (const source of recipe.sources) {
    if (source.kind === 'file') for (const i of source.instances) if (i.path) files.add(i.path);
    if (source.kind !== 'glob') continue;
    for (const pattern of expandBraces(source.spec)) {
      const { base, rest, absolute } = splitPattern(pattern);
      const baseDir = absolute ? join('/', ...base) : resolve(recipe.dir, ...base);
      const recursive = rest.length > 1 || rest.some((s) => s.kind === 'globstar');
      dirs.set(baseDir, (dirs.get(baseDir) ?? false) || recursive);
    }
  }
  return {
    files: [...files].filter((f) => isAbsolute(f)),
    dirs: [...dirs].map(([path, recursive]) => ({ path, recursive })),
  };
}
