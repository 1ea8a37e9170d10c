/**
 * The CLI is a client of the public API: every import in src/cli reaches library code only
 * through src/index.ts (or stays inside src/cli, or is node:/an npm package). A new internal
 * import fails here, so what the CLI needs is exported for everyone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
const CLI = join(SRC, 'cli');
const INDEX = join(SRC, 'index.ts');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every module specifier: static imports and re-exports, dynamic `import('…')`. */
function specifiers(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/\b(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g)) found.push(m[1] ?? '');
  for (const m of text.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1] ?? '');
  for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) found.push(m[1] ?? '');
  return found;
}

/** Why `spec` imported from `file` breaks the rule, or `null` when it is allowed. */
function violation(file: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null; // node:… or an npm package
  const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
  if (target === INDEX) return null;
  if (target.startsWith(CLI + sep)) return null;
  return `${relative(SRC, file)} imports ${spec}`;
}

describe('src/cli imports', () => {
  const files = tsFiles(CLI);

  it('finds the CLI sources and their imports', () => {
    expect(files.length).toBeGreaterThan(10);
    expect(files.flatMap((f) => specifiers(readFileSync(f, 'utf8'))).length).toBeGreaterThan(30);
  });

  it('reach library code only through src/index.ts', () => {
    const bad = files.flatMap((f) =>
      specifiers(readFileSync(f, 'utf8')).flatMap((s) => {
        const v = violation(f, s);
        return v === null ? [] : [v];
      }),
    );
    expect(bad).toEqual([]);
  });

  it('the check itself rejects an internal import and accepts the allowed kinds', () => {
    const file = join(CLI, 'commands', 'run.ts');
    expect(violation(file, '../../run/run-recipe.js')).toBe('cli/commands/run.ts imports ../../run/run-recipe.js');
    expect(violation(join(CLI, 'main.ts'), '../errors.js')).toBe('cli/main.ts imports ../errors.js');
    expect(violation(file, '../../index.js')).toBeNull();
    expect(violation(file, '../context.js')).toBeNull();
    expect(violation(file, 'node:path')).toBeNull();
    expect(violation(file, 'commander')).toBeNull();
    expect(specifiers("import type { A } from '../x.js';\nconst m = await import('./y.js');")).toEqual([
      '../x.js',
      './y.js',
    ]);
  });
});
