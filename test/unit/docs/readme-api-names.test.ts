/**
 * The README's "Programmatic API" section names types by what a user imports: every
 * `Type.member` it writes is of an export of `src/index.ts` (it once named `RunDeps` and
 * `RunOptions`, internal names, where the exports are `RunRecipeDeps` and `RunRecipeOptions`).
 */
import { describe, expect, it } from 'vitest';
import { readRepoFile, stripComments } from './repo.js';

/** Every name `src/index.ts` exports (`export { a, b as c }`, `export type { … }`, `export const x`). */
function exportedNames(): Set<string> {
  const text = stripComments(readRepoFile('src/index.ts'));
  const names = new Set<string>();
  for (const m of text.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g))
    for (const part of (m[1] ?? '').split(','))
      names.add(
        part
          .trim()
          .split(/\s+as\s+/)
          .at(-1)
          ?.replace(/^type\s+/, '') ?? '',
      );
  for (const m of text.matchAll(/export\s+(?:async\s+)?(?:const|function|class|interface|type|enum)\s+(\w+)/g))
    names.add(m[1] ?? '');
  names.delete('');
  return names;
}

function apiSection(): string {
  const readme = readRepoFile('README.md');
  const start = readme.indexOf('## Programmatic API');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe('README programmatic API names', () => {
  it('every `Type.member` it names is of an exported type', () => {
    const exported = exportedNames();
    expect(exported.has('RunRecipeOptions')).toBe(true);
    const named = [...apiSection().matchAll(/`([A-Z]\w*)\.\w+/g)].map((m) => m[1] ?? '');
    expect(named.length).toBeGreaterThan(0);
    // A JavaScript global (`AbortSignal.timeout(ms)`) is no export of ours.
    const ours = named.filter((n) => !(n in globalThis));
    expect(ours.filter((n) => !exported.has(n))).toEqual([]);
  });
});
