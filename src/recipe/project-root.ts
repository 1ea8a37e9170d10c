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
 * What a message about a path outside `root` adds when no `.git` made it the root (the working
 * directory, `findProjectRoot`'s fallback), so a run from a subfolder says why everything is outside.
 */
export function rootFallbackNote(root: string): string {
  if (existsSync(path.join(root, '.git'))) return '';
  return (
    " (no .git in or above the recipe's folder: the project root is then the folder kontext runs in; " +
    'run it from the top folder of the project, or `git init` there)'
  );
}
