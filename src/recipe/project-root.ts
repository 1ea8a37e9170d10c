/** The project root: outputs must stay inside it (docs/architecture.md#the-recipe). */
import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The nearest folder at or above `startDir` that contains `.git` (a folder, or a file in a
 * worktree or submodule); else `cwd`. Both are resolved against `cwd` when relative.
 */
export function findProjectRoot(startDir: string, cwd: string): string {
  let dir = path.resolve(cwd, startDir);
  for (;;) {
    if (existsSync(path.join(dir, '.git'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(cwd);
    dir = parent;
  }
}

/**
 * What a message about a path outside the project root adds when no `.git` in or above the
 * recipe's folder `recipeDir` made it the root (`findProjectRoot`'s fallback, the working
 * directory, itself in a repository or not), so a run from elsewhere says why everything is outside.
 */
export function rootFallbackNote(recipeDir: string): string {
  for (let dir = path.resolve(recipeDir); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, '.git'))) return '';
    if (path.dirname(dir) === dir) break;
  }
  return (
    " (no .git in or above the recipe's folder: the project root is then the folder kontext runs in; " +
    'run it from the top folder of the project, or `git init` there)'
  );
}
