/**
 * The cache, the lock and seeds, proved by the emulator's request log: an unchanged re-run
 * submits nothing, an edit re-runs exactly its downstream, --reseed and --force behave, and a
 * deleted output comes back with no request.
 */
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  acceptedByPrompt,
  createProject,
  eventsOf,
  lockMatchesFiles,
  recipeYaml,
  runIn,
  sha256File,
  startRig,
  summaryOf,
  type Project,
  type Rig,
} from '../../helpers/run-fixtures.js';

const BG = 'Keep the face unchanged. Replace the background with a rainy street.';
const JACKET = 'Keep the face and background unchanged. Change the jacket to a yellow raincoat.';
const JACKET2 = 'Keep the face and background unchanged. Change the jacket to a red raincoat.';
const UMBRELLA = 'Keep everything else unchanged. Add an orange umbrella.';

const chain = (jacket = JACKET): string =>
  recipeYaml([
    ['background', BG],
    ['jacket', jacket],
    ['umbrella', UMBRELLA],
  ]);

let project: Project;
let rig: Rig;

beforeEach(async () => {
  project = await createProject(chain());
  rig = await startRig();
});
afterEach(async () => {
  await rig.close();
  await project.cleanup();
});

/** Run, then return the accepted submits this run made, by prompt. */
async function runCounting(
  options: Parameters<typeof runIn>[1] = {},
  seed = 1,
): Promise<{ byPrompt: Map<string, number>; run: Awaited<ReturnType<typeof runIn>> }> {
  const before = rig.submits().length;
  const run = await runIn(project, options, { rig, seed });
  return { byPrompt: acceptedByPrompt(rig.submits().slice(before)), run };
}

describe('cache and lock', () => {
  it('a re-run of an unchanged recipe makes zero submits and writes nothing new', async () => {
    const first = await runCounting();
    expect(summaryOf(first.run)).toMatchObject({ done: 3, cached: 0, failed: 0, exitCode: 0 });
    expect([...first.byPrompt.values()]).toEqual([1, 1, 1]);
    const lockBefore = await project.readLock();
    expect(Object.keys(lockBefore.nodes).sort()).toEqual(['background', 'jacket', 'umbrella']);
    expect(await lockMatchesFiles(project)).toEqual(
      expect.not.arrayContaining([expect.objectContaining({ ok: false })]),
    );

    const callsBefore = rig.calls().length;
    const second = await runCounting({}, 2);
    expect(rig.calls().length).toBe(callsBefore);
    expect(summaryOf(second.run)).toMatchObject({ done: 0, cached: 3, submitted: 0, exitCode: 0 });
    expect(eventsOf(second.run.events, 'node-cached').every((e) => !e.restored)).toBe(true);
    expect(await project.readLock()).toEqual(lockBefore);
  });

  it('editing the middle pass re-runs exactly it and its dependents', async () => {
    await runCounting();
    const lockBefore = await project.readLock();
    await project.writeRecipe(chain(JACKET2));
    const { byPrompt, run } = await runCounting({}, 2);
    expect(Object.fromEntries(byPrompt)).toEqual({ [JACKET2]: 1, [UMBRELLA]: 1 });
    expect(eventsOf(run.events, 'node-cached').map((e) => e.node)).toEqual(['background']);
    const starts = Object.fromEntries(eventsOf(run.events, 'node-start').map((e) => [e.node, e.reason]));
    expect(starts).toEqual({ jacket: 'prompt-changed', umbrella: 'input-changed' });
    const lock = await project.readLock();
    expect(lock.nodes['background']).toEqual(lockBefore.nodes['background']);
    expect(lock.nodes['jacket']?.key).not.toBe(lockBefore.nodes['jacket']?.key);
    expect(lock.nodes['umbrella']?.input_sha256).toBe(lock.nodes['jacket']?.output_sha256);
    expect(lock.nodes['umbrella']?.seed).toBe(lockBefore.nodes['umbrella']?.seed);
  });

  it('when the emulator behind a cached output is gone, its input is re-hosted, not passed as a dead URL', async () => {
    await runCounting();
    await rig.close();
    rig = await startRig(); // provider: emulator starts a new in-process emulator (new port) for every run
    await project.writeRecipe(chain(JACKET2));
    const { byPrompt, run } = await runCounting({}, 2);
    expect(eventsOf(run.events, 'warning')).toEqual([]);
    expect(Object.fromEntries(byPrompt)).toEqual({ [JACKET2]: 1, [UMBRELLA]: 1 });
    expect(String(rig.submits().find((e) => e.body?.['prompt'] === JACKET2)?.body?.['image_url'])).toMatch(
      /^data:image\/png/,
    );
  });

  it('--reseed jacket re-runs only it and downstream; only its seed changes', async () => {
    await runCounting();
    const before = await project.readLock();
    const { byPrompt } = await runCounting({ reseed: ['jacket'] }, 3);
    expect(Object.fromEntries(byPrompt)).toEqual({ [JACKET]: 1, [UMBRELLA]: 1 });
    const after = await project.readLock();
    expect(after.nodes['jacket']?.seed).not.toBe(before.nodes['jacket']?.seed);
    expect(after.nodes['background']?.seed).toBe(before.nodes['background']?.seed);
    expect(after.nodes['umbrella']?.seed).toBe(before.nodes['umbrella']?.seed);
    expect(after.nodes['background']).toEqual(before.nodes['background']);
    const seedsSent = rig
      .submits()
      .filter((e) => e.body?.['prompt'] === JACKET)
      .map((e) => e.body?.['seed']);
    expect(seedsSent).toEqual([before.nodes['jacket']?.seed, after.nodes['jacket']?.seed]);
  });

  it('a deleted output is restored from the store with no request', async () => {
    await runCounting();
    const lock = await project.readLock();
    const jacketOut = join(project.root, lock.nodes['jacket']?.output ?? 'missing');
    await rm(jacketOut);
    const callsBefore = rig.calls().length;
    const { run } = await runCounting({}, 2);
    expect(rig.calls().length).toBe(callsBefore);
    const cached = Object.fromEntries(eventsOf(run.events, 'node-cached').map((e) => [e.node, e.restored]));
    expect(cached).toEqual({ background: false, jacket: true, umbrella: false });
    expect(await sha256File(jacketOut)).toBe(lock.nodes['jacket']?.output_sha256);
  });

  it('a same-size output with other content is kept (exit 65) and replaced only with --overwrite', async () => {
    const single = (prompt: string): string => recipeYaml([['a', prompt, 'seed: 1']]);
    await project.writeRecipe(single(JACKET));
    await runCounting();
    const out = join(project.root, 'out', 'test', 'a', 'photo.png');
    const x = await sha256File(out);
    const junkOfSizeX = Buffer.alloc((await stat(out)).size, 7);

    await project.writeRecipe(single(JACKET2)); // another result in out/ and the lock ...
    await runCounting({}, 2);
    await writeFile(out, junkOfSizeX); // ... then a file of x's size but other bytes: a hand edit
    await project.writeRecipe(single(JACKET)); // back: a cache hit that the lock does not list
    const kept = await runCounting({}, 3);
    expect(summaryOf(kept.run)).toMatchObject({ exitCode: 65, failed: 1 });
    expect(await readFile(out)).toEqual(junkOfSizeX);
    const back = await runCounting({ overwrite: true }, 3);
    expect(back.byPrompt.size).toBe(0);
    expect(await sha256File(out)).toBe(x);

    await writeFile(out, junkOfSizeX); // a forced node over a hand-edited file: refused before paying
    const refused = await runCounting({ force: 'all' }, 4);
    expect(summaryOf(refused.run)).toMatchObject({ exitCode: 65, submitted: 0 });
    const forced = await runCounting({ force: 'all', overwrite: true }, 4);
    expect(Object.fromEntries(forced.byPrompt)).toEqual({ [JACKET]: 1 });
    expect(await sha256File(out)).toBe(x);
  });

  it('--force reuses the seeds in the lock (same seeds submitted again, same outputs)', async () => {
    await runCounting();
    const before = await project.readLock();
    const { byPrompt, run } = await runCounting({ force: 'all' }, 4);
    expect(Object.fromEntries(byPrompt)).toEqual({ [BG]: 1, [JACKET]: 1, [UMBRELLA]: 1 });
    expect(eventsOf(run.events, 'node-start').every((e) => e.reason === 'forced')).toBe(true);
    const submits = rig.submits();
    for (const [prompt, node] of [
      [BG, 'background'],
      [JACKET, 'jacket'],
      [UMBRELLA, 'umbrella'],
    ] as const) {
      const seeds = submits.filter((e) => e.body?.['prompt'] === prompt).map((e) => e.body?.['seed']);
      expect(seeds).toEqual([before.nodes[node]?.seed, before.nodes[node]?.seed]);
    }
    const after = await project.readLock();
    for (const node of ['background', 'jacket', 'umbrella']) {
      expect(after.nodes[node]?.seed).toBe(before.nodes[node]?.seed);
      expect(after.nodes[node]?.output_sha256).toBe(before.nodes[node]?.output_sha256);
    }
  });
});
