/**
 * Keys that name `Object.prototype` members (`toString`, `constructor`) are ordinary keys:
 * as params of a catalog model they pass through to the request, as params of a table model
 * they are unknown params, as pass fields they are unknown keys, and
 * status words, media types and extensions from outside never resolve to a prototype member.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extForMediaType } from '../../../src/hosting/media-type.js';
import { buildPlan } from '../../../src/plan/index.js';
import { normalizeStatus } from '../../../src/providers/runcomfy/status.js';
import { validateRecipeFile } from '../../../src/recipe/index.js';
import { extensionFor } from '../../../src/run/outputs.js';
import { createRuntime } from '../../../src/runtime.js';

let root = '';
const rt = () => createRuntime({ cwd: root, env: {} });
const head =
  'version: 1\nprovider: emulator\nsources:\n  a: a.jpg\npasses:\n  - id: one\n    prompt: Keep it. Add a hat.\n';

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'kontext-proto-'));
  await mkdir(path.join(root, '.git'));
  // A real JPEG: sources must be images by their bytes.
  await writeFile(
    path.join(root, 'a.jpg'),
    await sharp({ create: { width: 2, height: 2, channels: 3, background: '#888' } })
      .jpeg()
      .toBuffer(),
  );
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function validate(name: string, body: string) {
  await writeFile(path.join(root, name), head + body);
  return validateRecipeFile(name, { rt: rt() });
}

describe('prototype-named keys', () => {
  it('params toString / constructor pass through to the plan (catalog model)', async () => {
    const params = '    params: { toString: 1, constructor: 2, hasOwnProperty: 3 }\n';
    const result = await validate('params.yml', `    model: acme/other/edit\n${params}`);
    expect(result.problems).toEqual([]);
    const node = buildPlan(result.recipe!).nodes[0];
    expect(node?.params).toEqual({ toString: 1, constructor: 2, hasOwnProperty: 3 });
  });

  it('params toString / constructor of a table model are unknown params, not a crash', async () => {
    const result = await validate('params-table.yml', '    params: { toString: 1, constructor: 2 }\n');
    expect(result.problems.map((p) => p.code)).toEqual(['params-unknown', 'params-unknown']);
    expect(result.problems.map((p) => p.message).join('\n')).toContain('"constructor"');
  });

  it('defaults.params constructor passes through too; a real reserved name is still refused', async () => {
    await writeFile(
      path.join(root, 'defaults.yml'),
      head.replace('sources:', 'defaults:\n  model: acme/other/edit\n  params: { constructor: 1, seed: 2 }\nsources:'),
    );
    const result = await validateRecipeFile('defaults.yml', { rt: rt() });
    expect(result.problems.map((p) => p.code)).toEqual(['params-reserved']);
    expect(result.problems[0]?.message).toContain('"seed"');
  });

  it('a pass field named constructor or toString is an unknown key, not a crash', async () => {
    const result = await validate('field.yml', '    constructor: 1\n    toString: x\n    promt: y\n');
    expect(result.problems.map((p) => [p.code, p.severity])).toEqual([
      ['unknown-key', 'error'],
      ['unknown-key', 'error'],
      ['unknown-key', 'error'],
    ]);
    expect(result.problems.map((p) => p.message).join('\n')).toContain('"constructor"');
    expect(result.problems[2]?.hint).toContain('did you mean "prompt"');
  });

  it('status words, media types and extensions ignore Object.prototype', () => {
    expect(normalizeStatus('constructor')).toBe('unknown');
    expect(normalizeStatus('toString')).toBe('unknown');
    expect(extForMediaType('constructor')).toBe('bin');
    expect(extensionFor('constructor', 'https://x.test/out.webp')).toEqual({ ext: 'webp', mediaType: 'image/webp' });
  });
});
