/**
 * A deleted cache under many lock-current nodes (src/run/lock-current.ts `markUsed`, adopt.ts
 * `adoptAll`): past BLOB_THREAD_AT nodes the blobs are copied on the store's worker thread while
 * the records are written on the run's, and the cache comes back whole: every record with its
 * blob, so a later deleted output is restored from it for no request.
 */
import { readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildPlan, loadRecipe } from '../../../src/index.js';
import { keyFor } from '../../../src/run/node-request.js';
import { BLOB_THREAD_AT, threadChunksForTests } from '../../../src/store/blob-thread.js';
import { openStore } from '../../../src/store/index.js';
import { createProject, eventsOf, runIn, summaryOf, testRuntime, type Project } from '../../helpers/run-fixtures.js';

// 520 nodes: just past BLOB_THREAD_AT (512), where the blobs go to the worker thread.
const INSTANCES = 130;
const PASSES = 4;

let project: Project;
beforeEach(async () => {
  const passes = Array.from(
    { length: PASSES },
    (_, k) =>
      `  - id: pass-${k + 1}\n    prompt: Keep the object unchanged. Replace the background with color ${k + 1}.\n`,
  ).join('');
  const head = 'version: 1\nname: test\nprovider: emulator\ndefaults: { seed: 11 }\n';
  project = await createProject(`${head}sources:\n  items: "in/*.png"\npasses:\n${passes}`);
  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#336699' } })
    .png()
    .toBuffer();
  await mkdir(join(project.root, 'in'));
  for (let i = 0; i < INSTANCES; i++)
    await writeFile(join(project.root, 'in', `item-${i}.png`), Buffer.concat([png, Buffer.from(String(i))]));
});
afterEach(() => project.cleanup());

/** Every node recorded as done in the cache, keyed as the runner keys it (no request needed). */
async function fillCache(): Promise<number> {
  const rt = testRuntime(project.root);
  const plan = buildPlan(await loadRecipe(project.recipe, { rt }));
  const store = await openStore(project.cacheDir);
  const out = new Map<string, string>();
  for (const node of plan.nodes) {
    const input =
      node.input.kind === 'node' ? out.get(node.input.id)! : (await store.hashSource(node.input.path!)).sha256;
    const seed = node.seed ?? 11; // the recipe's default
    const key = keyFor(node, 'emulator', input, seed);
    const sha = await store.putBlob(new TextEncoder().encode(`output of ${node.id}`));
    await store.putRecord({
      key,
      node: node.id,
      provider: 'emulator',
      model: node.model,
      seed,
      input_sha256: input,
      output_sha256: sha,
      media_type: 'image/png',
      ext: 'png',
      request_id: `test-${node.id}`,
      finished_at: '2026-01-01T00:00:00.000Z',
    });
    out.set(node.id, sha);
  }
  await store.flush();
  return plan.nodes.length;
}

async function filesUnder(folder: string): Promise<string[]> {
  const names = await readdir(join(project.cacheDir, folder), { recursive: true }).catch(() => []);
  return names.filter((n) => /^[0-9a-f]{2}\/[0-9a-f]{64}(\.json)?$/.test(n));
}

describe('a deleted cache under many lock-current nodes', () => {
  it('is rebuilt whole, blobs on the thread and records here, for no request', async () => {
    const nodes = await fillCache();
    expect(nodes).toBeGreaterThanOrEqual(BLOB_THREAD_AT);
    expect(summaryOf(await runIn(project))).toMatchObject({ cached: nodes, submitted: 0, exitCode: 0 });
    const lock = await project.readLock();
    await rm(project.cacheDir, { recursive: true });

    const chunksBefore = threadChunksForTests();
    expect(summaryOf(await runIn(project))).toMatchObject({ cached: nodes, submitted: 0, exitCode: 0 });
    expect(threadChunksForTests()).toBeGreaterThan(chunksBefore);
    const blobs = await filesUnder('blobs');
    const records = await filesUnder('records');
    expect(records).toHaveLength(nodes);
    expect(blobs).toHaveLength(new Set(Object.values(lock.nodes).map((e) => e.output_sha256)).size);
    // Each record is the node's, and names a blob that is there with the output's bytes.
    const entry = lock.nodes['pass-3@item-42']!;
    const record = JSON.parse(
      await readFile(join(project.cacheDir, 'records', entry.key.slice(0, 2), `${entry.key}.json`), 'utf8'),
    ) as { node: string; output_sha256: string };
    expect(record).toMatchObject({ node: 'pass-3@item-42', output_sha256: entry.output_sha256 });
    expect(
      await readFile(join(project.cacheDir, 'blobs', entry.output_sha256.slice(0, 2), entry.output_sha256), 'utf8'),
    ).toBe(await readFile(join(project.root, entry.output), 'utf8'));

    // The rebuilt cache restores a deleted output: no request.
    await rm(join(project.root, entry.output));
    const restored = await runIn(project);
    expect(summaryOf(restored)).toMatchObject({ cached: nodes, submitted: 0, exitCode: 0 });
    expect(eventsOf(restored.events, 'node-cached').find((e) => e.node === 'pass-3@item-42')?.restored).toBe(true);
  }, 90_000); // ~10 s alone; three runs of 520 nodes, fsyncs included, on a loaded 2-core machine took 32
});
