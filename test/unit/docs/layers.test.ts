/**
 * The import rules of docs/architecture.md#layers, checked against every import in src/.
 * When a rule here changes, the table in docs/architecture.md and src/README.md changes with it.
 */
import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listFiles, readRepoFile, REPO_ROOT, stripComments } from './repo.js';

interface Import {
  readonly from: string;
  /** Repo-relative target under src/, `.ts` (relative specifiers only). */
  readonly target: string;
  readonly typeOnly: boolean;
  readonly dynamic: boolean;
}

interface Rule {
  /** Layers (`folder/` or `file.ts`) this layer may import from in any way. */
  readonly layers: readonly string[];
  /** Single files (src-relative) it may import from in any way. */
  readonly files?: readonly string[];
  /** Files or layers it may import from with `import type` only. */
  readonly typeOnly?: readonly string[];
  /** Layers it may only reach through a dynamic `import()` (loaded on first use). */
  readonly dynamicOnly?: readonly string[];
}

const LEAVES = ['errors.ts', 'runtime.ts', 'util/'];
const BELOW_RUN = ['plan/', 'providers/', 'hosting/', 'review/', 'store/', 'recipe/', 'models/', ...LEAVES];
const ALL = ['cli/', 'index.ts', 'watch/', 'report/', 'run/', 'remote/', 'emulator/', ...BELOW_RUN];

/** The table of docs/architecture.md#layers. `watch/` exists once the run-context refactor lands. */
const RULES: Readonly<Record<string, Rule>> = {
  'cli/': { layers: ALL },
  'index.ts': { layers: ALL.filter((l) => l !== 'cli/') },
  'watch/': { layers: ['run/', 'remote/', ...BELOW_RUN], typeOnly: ['index.ts'] },
  'report/': { layers: ['run/', 'plan/', 'store/', 'recipe/', ...LEAVES] },
  'run/': { layers: ['remote/', ...BELOW_RUN], files: ['watch/inflight.ts', 'watch/write-gate.ts'] },
  'remote/': { layers: ['store/', 'hosting/', ...LEAVES] },
  'plan/': { layers: ['errors.ts', 'util/'], typeOnly: ['recipe/types.ts'] },
  'providers/': { layers: ['models/', ...LEAVES], typeOnly: ['recipe/types.ts'], dynamicOnly: ['emulator/'] },
  'hosting/': { layers: ['store/', ...LEAVES], typeOnly: ['recipe/types.ts'] },
  'recipe/': { layers: ['models/', ...LEAVES] },
  'models/': { layers: ['errors.ts', 'util/'] },
  'review/': { layers: ['store/', ...LEAVES] },
  'store/': { layers: ['errors.ts', 'util/'] },
  'emulator/': { layers: LEAVES },
  'errors.ts': { layers: [] },
  'runtime.ts': { layers: [] },
  'util/': { layers: ['errors.ts'] },
};

/** Library files allowed to touch `process` (see docs/architecture.md#layers). */
const PROCESS_ALLOWED = new Set([
  'src/runtime.ts',
  'src/hosting/command-exec.ts',
  'src/util/process-tag.ts',
  'src/hosting/s3-client.ts',
]);

/** `cli/` for `src/cli/main.ts`, `errors.ts` for `src/errors.ts`. */
function layerOf(srcPath: string): string {
  const rest = srcPath.replace(/^src\//, '');
  const slash = rest.indexOf('/');
  return slash === -1 ? rest : rest.slice(0, slash + 1);
}

function importsOf(file: string): Import[] {
  const code = stripComments(readRepoFile(file));
  const found: Import[] = [];
  const add = (from: string, typeOnly: boolean, dynamic: boolean): void => {
    if (!from.startsWith('.')) return;
    const target = posix.normalize(posix.join(posix.dirname(file), from)).replace(/\.js$/, '.ts');
    found.push({ from, target, typeOnly, dynamic });
  };
  const statics = /(?:^|[;\n])\s*(import|export)\s+(type\s+)?([^;'"]*?)\s*from\s*['"]([^'"]+)['"]/g;
  for (const m of code.matchAll(statics)) {
    const clause = m[3] ?? '';
    const braces = /^\{([\s\S]*)\}$/.exec(clause.trim());
    const names =
      braces?.[1]
        ?.split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '') ?? [];
    const allTypes = names.length > 0 && names.every((n) => n.startsWith('type '));
    add(m[4] ?? '', m[2] !== undefined || allTypes, false);
  }
  for (const m of code.matchAll(/(?:^|[;\n])\s*import\s*['"]([^'"]+)['"]/g)) add(m[1] ?? '', false, false);
  for (const m of code.matchAll(/(typeof\s+)?\bimport\(\s*['"]([^'"]+)['"]\s*\)/g))
    add(m[2] ?? '', m[1] !== undefined, m[1] === undefined);
  return found;
}

/** Why `file` may not import `imp`, or null when the rules allow it. */
function violation(file: string, imp: Import): string | null {
  const from = layerOf(file);
  const to = layerOf(imp.target);
  if (from === to) return null;
  const rule = RULES[from];
  if (!rule) return `no rule for layer ${from}`;
  const targetInSrc = imp.target.replace(/^src\//, '');
  if (rule.layers.includes(to) || rule.files?.includes(targetInSrc)) return null;
  if (imp.typeOnly && (rule.typeOnly?.includes(targetInSrc) || rule.typeOnly?.includes(to))) return null;
  if (imp.dynamic && rule.dynamicOnly?.includes(to)) return null;
  return `${from} may not import ${imp.typeOnly ? 'types from ' : ''}${targetInSrc}`;
}

const sources = listFiles('src', (p) => p.endsWith('.ts'));

describe('layers (docs/architecture.md#layers)', () => {
  it('finds the imports it checks', () => {
    const all = sources.flatMap((f) => importsOf(f));
    expect(sources.length).toBeGreaterThan(100);
    expect(all.length).toBeGreaterThan(300);
    // Every relative import resolves to a file, so the parser is not inventing targets.
    const missing = all.filter((i) => !existsSync(join(REPO_ROOT, i.target))).map((i) => i.target);
    expect(missing).toEqual([]);
    // The three kinds the rules distinguish all occur.
    expect(importsOf('src/plan/build.ts').some((i) => i.typeOnly && i.target === 'src/recipe/types.ts')).toBe(true);
    expect(importsOf('src/providers/session.ts').some((i) => i.dynamic && i.target.startsWith('src/emulator/'))).toBe(
      true,
    );
  });

  it('every layer in src/ has a rule, and every rule is a row of the documented table', () => {
    const layers = new Set(sources.map(layerOf));
    expect([...layers].filter((l) => !(l in RULES))).toEqual([]);
    const doc = readRepoFile('docs/architecture.md');
    const table = doc.slice(doc.indexOf('## Layers'), doc.indexOf('\n## ', doc.indexOf('## Layers') + 1));
    for (const layer of Object.keys(RULES)) expect(table, layer).toContain(`\`src/${layer}\``);
  });

  it('imports point only where the table allows', () => {
    const bad = sources.flatMap((file) =>
      importsOf(file).flatMap((imp) => {
        const why = violation(file, imp);
        return why ? [`${file} -> ${imp.from}: ${why}`] : [];
      }),
    );
    expect(bad).toEqual([]);
  });

  it('library code leaves `process` to src/cli (and the four documented exceptions)', () => {
    const touching = sources.filter(
      (f) => !f.startsWith('src/cli/') && /\bprocess\s*\.\s*[A-Za-z]/.test(stripComments(readRepoFile(f))),
    );
    expect(touching.filter((f) => !PROCESS_ALLOWED.has(f))).toEqual([]);
  });
});

// Checks of the checker itself, so a rule cannot pass by parsing nothing.
describe('the import parser', () => {
  it('tells type-only, dynamic and value imports apart', () => {
    const kinds = importsOf('src/hosting/s3.ts').map((i) => `${i.target}:${i.typeOnly}:${i.dynamic}`);
    expect(kinds).toContain('src/hosting/s3-client.ts:true:false');
    expect(kinds).toContain('src/hosting/s3-client.ts:false:true');
  });

  it('lays files out by layer', () => {
    expect(layerOf('src/cli/watch/debounce.ts')).toBe('cli/');
    expect(layerOf('src/errors.ts')).toBe('errors.ts');
    expect(layerOf('src/recipe/rules/from.ts')).toBe('recipe/');
  });
});
