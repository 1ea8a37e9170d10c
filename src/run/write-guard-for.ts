/** The write guard of one recipe run: its file, its lock, every source file, the cache dir. */
import type { Recipe } from '../recipe/types.js';
import { sourceFiles } from '../recipe/source-files.js';
import { buildWriteGuard, type WriteGuard } from '../store/write-guard.js';

export function writeGuardFor(
  recipe: Pick<Recipe, 'file' | 'projectRoot' | 'sources'>,
  p: { readonly lockPath: string; readonly cacheDir: string; readonly allowOutsideRoot: boolean },
): Promise<WriteGuard> {
  const sources = sourceFiles(recipe.sources);
  return buildWriteGuard({
    projectRoot: recipe.projectRoot,
    allowOutsideRoot: p.allowOutsideRoot,
    protectedFiles: [recipe.file, p.lockPath, ...sources],
    cacheDir: p.cacheDir,
  });
}
