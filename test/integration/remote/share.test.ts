/**
 * The remote cache between two copies of a project (separate local caches, one s3rver
 * bucket): the first copy pays, the second pays nothing and gets the same bytes; what is
 * uploaded is a verified image and a record of our own fields; `--no-remote`; which remote
 * wins (env over recipe over user config); a recipe's remote is read-only unless trusted.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { summaryOf } from '../../helpers/run-fixtures.js';
import { TEST_AWS_ENV } from '../../helpers/s3-server.js';
import { NODES, notices, outputsOf, putKeys, RECIPE, useWorld, warnings } from './harness.js';

const world = useWorld();
const ALLOWED = [
  'ext',
  'finished_at',
  'input_sha256',
  'key',
  'media_type',
  'model',
  'node',
  'output_sha256',
  'params',
  'prompt',
  'provider',
  'request_id',
  'seed',
];

describe('remote cache between two machines', () => {
  it('the first copy pays N, the second pays 0 and gets byte-identical outputs', async () => {
    const w = world();
    const first = await w.run(w.a);
    expect(summaryOf(first)).toMatchObject({ exitCode: 0, done: 5, submitted: 5 });
    expect(warnings(first)).toEqual([]);
    // Uploads finished before the run returned: 5 blobs and 5 records, blob before record.
    const keys = putKeys(w.s3);
    expect(keys.filter((k) => /^team\/v1\/blobs\/([0-9a-f]{2})\/\1[0-9a-f]{62}$/.test(k))).toHaveLength(5);
    expect(keys.filter((k) => /^team\/v1\/records\/([0-9a-f]{2})\/\1[0-9a-f]{62}\.json$/.test(k))).toHaveLength(5);
    const puts = w.s3.requests.filter((r) => r.method === 'PUT').map((r) => r.path);
    const lockA = await w.a.readLock();
    for (const e of Object.values(lockA.nodes)) {
      const blob = puts.findIndex((p) => p.endsWith(`/blobs/${e.output_sha256.slice(0, 2)}/${e.output_sha256}`));
      const record = puts.findIndex((p) => p.endsWith(`/${e.key}.json`));
      expect(blob).toBeGreaterThanOrEqual(0);
      expect(record).toBeGreaterThan(blob);
    }

    const before = w.s3.requests.length;
    const submits = w.rig.submits().length;
    const second = await w.run(w.b);
    expect(summaryOf(second)).toMatchObject({ exitCode: 0, cached: 5, submitted: 0, done: 0 });
    expect(w.rig.submits()).toHaveLength(submits);
    const a = await outputsOf(w.a);
    const b = await outputsOf(w.b);
    expect([...b.keys()].sort()).toEqual(NODES);
    for (const id of NODES) expect(b.get(id)?.equals(a.get(id) ?? Buffer.alloc(0))).toBe(true);
    expect((await w.b.readLock()).nodes).toEqual(lockA.nodes);
    // Two GETs per node (record, blob), nothing written.
    const used = w.s3.requests.slice(before);
    expect(used.length).toBeLessThanOrEqual(3 * 5);
    expect(used.filter((r) => r.method === 'PUT')).toEqual([]);

    // Now in b's local cache: a third run asks the remote nothing.
    const third = await w.run(w.b);
    expect(summaryOf(third)).toMatchObject({ exitCode: 0, cached: 5, submitted: 0 });
    expect(w.s3.requests.length).toBe(before + used.length);
  });

  it('a blob already in the local store is not fetched again: only its record is', async () => {
    const w = world();
    await w.run(w.a);
    await w.run(w.b);
    // b keeps its blobs but loses its records, lock and outputs.
    const cache = join(w.b.root, '.cache', 'kontext');
    await rm(join(cache, 'records'), { recursive: true, force: true });
    await rm(w.b.lockPath, { force: true });
    await rm(join(w.b.root, 'out'), { recursive: true, force: true });
    const before = w.s3.requests.length;
    const again = await w.run(w.b);
    expect(summaryOf(again)).toMatchObject({ exitCode: 0, cached: 5, submitted: 0 });
    expect(warnings(again)).toEqual([]);
    const gets = w.s3.requests.slice(before).map((r) => `${r.method} ${r.path.split('/')[4] ?? ''}`);
    expect(gets).toEqual(Array(5).fill('GET records'));
    const a = await outputsOf(w.a);
    const b = await outputsOf(w.b);
    for (const id of NODES) expect(b.get(id)?.equals(a.get(id) ?? Buffer.alloc(0))).toBe(true);
  });

  it('uploads only our own record fields and verified image bytes, no paths or secrets', async () => {
    const w = world();
    await w.run(w.a);
    const lock = await w.a.readLock();
    for (const e of Object.values(lock.nodes)) {
      const record = await w.s3.readObject(`team/v1/records/${e.key.slice(0, 2)}/${e.key}.json`);
      const text = record?.body.toString('utf8') ?? '';
      expect(Object.keys(JSON.parse(text) as object).sort()).toEqual(ALLOWED);
      expect(text).not.toContain(w.a.root);
      expect(text).not.toContain('http');
      expect(text).not.toContain(TEST_AWS_ENV.AWS_SECRET_ACCESS_KEY);
      const blob = await w.s3.readObject(`team/v1/blobs/${e.output_sha256.slice(0, 2)}/${e.output_sha256}`);
      expect(blob?.body.subarray(0, 4).toString('latin1')).toBe('\x89PNG');
      expect(blob?.contentType).toBe('image/png');
    }
  });

  it('--no-remote: the second copy pays everything and the remote is not asked', async () => {
    const w = world();
    await w.run(w.a);
    const before = w.s3.requests.length;
    const second = await w.run(w.b, { noRemote: true });
    expect(summaryOf(second)).toMatchObject({ exitCode: 0, submitted: 5 });
    expect(w.s3.requests.length).toBe(before);
  });

  it('KONTEXT_REMOTE_CACHE wins over the recipe and the user config', async () => {
    const w = world();
    const configDir = join(w.a.root, '.config', 'kontext');
    await mkdir(configDir, { recursive: true });
    await writeFile(join(configDir, 'config.json'), JSON.stringify({ cache: { remote: 's3://kontext-test/user' } }));
    await w.a.writeRecipe(
      RECIPE.replace('provider: emulator', 'provider: emulator\ncache: { remote: s3://kontext-test/recipe }'),
    );
    const env = w.env({ KONTEXT_REMOTE_CACHE: 's3://kontext-test/env' });
    expect(summaryOf(await w.run(w.a, {}, env)).exitCode).toBe(0);
    const prefixes = new Set(putKeys(w.s3).map((k) => k.split('/')[0]));
    expect([...prefixes]).toEqual(['env']);

    // Without the variable, the recipe's remote (trusted: the user config names the same bucket).
    const { KONTEXT_REMOTE_CACHE: _drop, ...noEnv } = env;
    await w.run(w.a, { force: 'all' }, noEnv);
    expect(new Set(putKeys(w.s3).map((k) => k.split('/')[0]))).toEqual(new Set(['env', 'recipe']));
  });

  it("a recipe's remote is read-only unless the user config names its bucket or the user trusts it", async () => {
    const w = world();
    const yaml = RECIPE.replace(
      'provider: emulator',
      'provider: emulator\ncache: { remote: "s3://kontext-test/shared" }',
    );
    await w.a.writeRecipe(yaml);
    await w.b.writeRecipe(yaml);
    const { KONTEXT_REMOTE_CACHE: _drop, ...env } = w.env();
    const untrusted = await w.run(w.a, {}, env);
    expect(summaryOf(untrusted)).toMatchObject({ exitCode: 0, submitted: 5 });
    expect(notices(untrusted).filter((n) => n.includes('read-only'))).toHaveLength(1);
    expect(putKeys(w.s3)).toEqual([]);
    expect(w.s3.count('GET')).toBe(5); // looked up all the same

    const trusted = await w.run(w.b, { trustRecipeHosting: true }, env);
    expect(summaryOf(trusted)).toMatchObject({ exitCode: 0, submitted: 5 });
    expect(putKeys(w.s3)).toHaveLength(10);
    // Now a's read-only remote has everything: with a fresh cache and no outputs, a pays nothing.
    await rm(join(w.a.root, 'out'), { recursive: true });
    const gets = w.s3.count('GET');
    const again = await w.run(w.a, {}, { ...env, KONTEXT_CACHE_DIR: join(w.a.root, 'fresh') });
    expect(summaryOf(again)).toMatchObject({ exitCode: 0, submitted: 0, cached: 5 });
    expect(w.s3.count('GET')).toBe(gets + 10);
  });
});
