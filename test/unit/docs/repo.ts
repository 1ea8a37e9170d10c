/** Reading the repository's own files for the docs tests (docs/architecture.md#layers). */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { REPO_ROOT } from '../../helpers/run-fixtures.js';

export { REPO_ROOT };

const SKIP = new Set(['.git', 'node_modules', 'dist', 'coverage']);

/** Every file under `dir` (repo-relative, `/`-separated), skipping .git, node_modules and build output. */
export function listFiles(dir: string, keep: (path: string) => boolean = () => true): string[] {
  const out: string[] = [];
  const walk = (abs: string): void => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      if (SKIP.has(entry.name)) continue;
      const child = join(abs, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) {
        const rel = relative(REPO_ROOT, child).split(sep).join('/');
        if (keep(rel)) out.push(rel);
      }
    }
  };
  walk(join(REPO_ROOT, dir));
  return out.sort();
}

export function readRepoFile(path: string): string {
  return readFileSync(join(REPO_ROOT, path), 'utf8');
}

/**
 * TypeScript source with comments blanked out (so an import in a JSDoc example or the word
 * `process` in prose does not count). Good enough for our own code: strings holding `/*` or a
 * `//` after something other than `:` do not occur in import lines.
 */
export function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}
