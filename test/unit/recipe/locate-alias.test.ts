/**
 * Locating a path through an alias (src/recipe/yaml/locate.ts): each alias resolves by the yaml
 * library's own rule (the last node with that anchor before it, an anchor redefined included),
 * found for the whole document in one walk, so a recipe whose every problem lies under one alias
 * (`params: *p` with thousands of unknown keys) is not quadratic (10,000 keys: 44 s before).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlias, isMap, LineCounter, parseDocument, visit, type Alias, type Document } from 'yaml';
import { validateRecipe } from '../../../src/recipe/validate.js';
import { locatePath } from '../../../src/recipe/yaml/locate.js';
import { createRuntime } from '../../../src/runtime.js';

let root = '';
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'kontext-locate-alias-'));
  await mkdir(path.join(root, '.git'));
  await writeFile(path.join(root, 'a.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('locating through an alias', () => {
  it('finds what the library resolves an alias to, an anchor redefined included', () => {
    const text = 'a: &m {k: 1}\nb: *m\nc: &m {k: 2}\nd: *m\ne: [&s {k: 3}, *s]\n';
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines }) as Document;
    const aliases: Alias[] = [];
    visit(doc, (_k, node) => {
      if (isAlias(node)) aliases.push(node);
    });
    expect(aliases).toHaveLength(3);
    const expected = aliases.map((a) => {
      const target = a.resolve(doc);
      if (!isMap(target)) throw new Error('expected a mapping');
      const key = target.items[0]?.key as { range?: [number, number, number] } | undefined;
      return lines.linePos(key?.range?.[0] ?? -1);
    });
    const got = [
      ['b', 'k'],
      ['d', 'k'],
      ['e', 1, 'k'],
    ].map((p) => locatePath(doc, lines, p, { key: true }));
    expect(got).toEqual(expected);
    expect(got.map((p) => p?.line)).toEqual([1, 3, 5]);
  });

  it('10,000 unknown params through one alias: each located at its key under the anchor', async () => {
    const n = 10_000;
    const keys = Array.from({ length: n }, (_, i) => `  k${i}: 1\n`).join('');
    const text =
      `version: 1\nprovider: emulator\nx-params: &p\n${keys}sources:\n  a: a.png\n` +
      'passes:\n  - id: p\n    prompt: x y\n    params: *p\n';
    const rt = createRuntime({ cwd: root, env: {} });
    const r = await validateRecipe(text, {
      displayPath: 'r.yml',
      file: path.join(root, 'r.yml'),
      rt,
      allowedSourceRoots: [],
    });
    const unknown = r.problems.filter((p) => p.code === 'params-unknown');
    expect(unknown).toHaveLength(n);
    expect(unknown.slice(0, 2).map((p) => p.location?.line)).toEqual([4, 5]);
  }, 30_000);
});
