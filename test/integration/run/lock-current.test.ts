/**
 * Nodes the lock alone proves current (src/run/lock-current.ts) read no run record; what the
 * record gave is still there when it matters: gc's "last used" (records bumped after the run,
 * once a minute for the same set), a deleted cache rebuilt from the lock and the files (so a
 * later deleted output still comes back free), and the provider's output URL passed on to a
 * downstream node that must run.
 */
import { readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../../src/index.js';
import { layout } from '../../../src/store/layout.js';
import { createProject, eventsOf, recipeYaml, runIn, summaryOf, type Project } from '../../helpers/run-fixtures.js';

const BG = 'Keep the face unchanged. Replace the background with a rainy street.';
const JACKET = 'Keep the face and background unchanged. Change the jacket to a yellow raincoat.';
const JACKET2 = 'Keep the face and background unchanged. Change the jacket to a red raincoat.';

const chain = (jacket = JACKET): string =>
  recipeYaml([
    ['background', BG],
    ['jacket', jacket],
  ])
    .replace('provider: emulator', 'provider: runcomfy')
    .replace('sources:', 'hosting: { mode: inline }\nsources:');

let emulator: EmulatorHandle;
let project: Project;
beforeEach(async () => {
  emulator = await startEmulator({ queueMs: 5, runMs: 10 });
  project = await createProject(chain());
});
afterEach(async () => {
  await emulator.close();
  await project.cleanup();
});

const env = (): Record<string, string> => ({
  RUNCOMFY_MODEL_API_BASE: emulator.baseUrl,
  KONTEXT_ALLOW_HOSTS: '127.0.0.1',
  RUNCOMFY_TOKEN: 'test-token',
  KONTEXT_CACHE_DIR: project.cacheDir,
});
const run = (seed = 1) => runIn(project, {}, { env: env(), seed });
const submits = () => emulator.requestLog().filter((e) => e.method === 'POST' && e.path.startsWith('/v1/models/'));

async function recordFiles(): Promise<string[]> {
  const dir = join(project.cacheDir, 'records');
  const names = await readdir(dir, { recursive: true }).catch(() => []);
  return names.filter((n) => n.endsWith('.json')).map((n) => join(dir, n));
}

const DAY = 86_400_000;

describe('lock-current nodes', () => {
  it('read no record: a record file that is not JSON is never parsed, and is marked used', async () => {
    expect(summaryOf(await run())).toMatchObject({ done: 2, exitCode: 0 });
    const records = await recordFiles();
    expect(records).toHaveLength(2);
    const old = new Date(Date.now() - 10 * DAY);
    for (const r of records) {
      await writeFile(r, 'not json'); // a read would make it a miss (and an adoption would rewrite it)
      await utimes(r, old, old);
    }
    const again = await run(2);
    expect(summaryOf(again)).toMatchObject({ cached: 2, done: 0, submitted: 0, exitCode: 0 });
    for (const r of records) {
      expect((await stat(r)).mtimeMs).toBeGreaterThan(Date.now() - DAY); // "last used" for gc
      expect(await readFile(r, 'utf8')).toBe('not json');
    }
    // Within the minute the same set is not bumped again (one stat, not one per record).
    for (const r of records) await utimes(r, old, old);
    expect(summaryOf(await run(3))).toMatchObject({ cached: 2, exitCode: 0 });
    for (const r of records) expect((await stat(r)).mtimeMs).toBeLessThan(Date.now() - DAY);
  });

  it('with the cache deleted: no request, the cache is rebuilt, a later deleted output comes back free', async () => {
    expect(summaryOf(await run())).toMatchObject({ done: 2, exitCode: 0 });
    const lock = await project.readLock();
    await rm(project.cacheDir, { recursive: true, force: true });
    const before = submits().length;
    expect(summaryOf(await run(2))).toMatchObject({ cached: 2, submitted: 0, exitCode: 0 });
    expect(await recordFiles()).toHaveLength(2);
    await rm(join(project.root, lock.nodes['background']!.output));
    const restored = await run(3);
    expect(summaryOf(restored)).toMatchObject({ cached: 2, submitted: 0, exitCode: 0 });
    expect(eventsOf(restored.events, 'node-cached').find((e) => e.node === 'background')?.restored).toBe(true);
    expect(submits().length).toBe(before);
  });

  it('a record whose blob alone was lost keeps its cost and review; the blob comes back from the file', async () => {
    expect(summaryOf(await run())).toMatchObject({ done: 2, exitCode: 0 });
    const lock = await project.readLock();
    const entry = lock.nodes['background']!;
    const recordPath = layout.record(project.cacheDir, entry.key);
    const before = JSON.parse(await readFile(recordPath, 'utf8')) as Record<string, unknown>;
    expect(before['cost_usd']).toEqual(expect.any(Number));
    expect(before['review']).toEqual(expect.any(Object));
    const blob = layout.blob(project.cacheDir, entry.output_sha256);
    await rm(blob);
    expect(summaryOf(await run(2))).toMatchObject({ cached: 2, submitted: 0, exitCode: 0 });
    expect(await readFile(blob)).toEqual(await readFile(join(project.root, entry.output)));
    expect(JSON.parse(await readFile(recordPath, 'utf8'))).toEqual(before);
  });

  it('a downstream node that must run gets the upstream output URL from its record', async () => {
    expect(summaryOf(await run())).toMatchObject({ done: 2, exitCode: 0 });
    const bgUrl = String(
      (submits().find((e) => e.body?.['prompt'] === JACKET)?.body?.['image_url'] as string | undefined) ?? '',
    );
    expect(bgUrl).toMatch(/^http:\/\/127\.0\.0\.1/);
    await project.writeRecipe(chain(JACKET2));
    const again = await run(2);
    expect(summaryOf(again)).toMatchObject({ cached: 1, done: 1, exitCode: 0 });
    const jacket = submits().find((e) => e.body?.['prompt'] === JACKET2);
    expect(jacket?.body?.['image_url']).toBe(bgUrl);
  });

  it('a downstream node that must run after the cache was deleted hosts the adopted upstream bytes', async () => {
    expect(summaryOf(await run())).toMatchObject({ done: 2, exitCode: 0 });
    await rm(project.cacheDir, { recursive: true, force: true });
    await project.writeRecipe(chain(JACKET2));
    const again = await run(2);
    expect(summaryOf(again)).toMatchObject({ cached: 1, done: 1, exitCode: 0 });
    const jacket = submits().find((e) => e.body?.['prompt'] === JACKET2);
    expect(String(jacket?.body?.['image_url'])).toMatch(/^data:image\//);
  });
});
