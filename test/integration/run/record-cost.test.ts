/**
 * What a result cost, kept with it: a run writes the list price of each request it paid for into
 * the result's run record (`cost_usd`, the price its spend summary uses), so the review sheet can
 * show each cell's cost and the total. A result rebuilt from the lock (a deleted cache) has no
 * recorded price: on a provider whose price only its catalog gives (RunComfy, the emulator) the
 * sheet counts it as unpriced rather than guessing or summing a part as the whole. Two cells
 * showing one result (one cache key: the same image twice with a fixed seed) are one request,
 * counted once. Only results the sheet shows count: a node only in the lock, or whose images are
 * gone, shows none.
 */
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, writeReport, type EmulatorHandle } from '../../../src/index.js';
import { recordFiles } from '../../helpers/record-files.js';
import { createProject, recipeYaml, runIn, summaryOf, testRuntime, type Project } from '../../helpers/run-fixtures.js';

let emulator: EmulatorHandle;
let project: Project;
beforeEach(async () => {
  emulator = await startEmulator({ queueMs: 5, runMs: 10 });
  const yaml = recipeYaml([
    ['background', 'Keep the face unchanged. Replace the background with a rainy street.'],
    ['jacket', 'Keep the face and background unchanged. Change the jacket to a yellow raincoat.'],
  ])
    .replace('provider: emulator', 'provider: runcomfy')
    .replace('sources:', 'hosting: { mode: inline }\nsources:');
  project = await createProject(yaml);
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

async function recordCosts(): Promise<unknown[]> {
  return (await recordFiles(project.cacheDir)).map(({ record }) => record['cost_usd']);
}

describe('the price of a paid result', () => {
  it('is kept in its record and totalled by the report; a result rebuilt from the lock is unpriced', async () => {
    const run = await runIn(project, {}, { env: env() });
    const summary = summaryOf(run);
    expect(summary).toMatchObject({ done: 2, exitCode: 0 });
    const price = summary.costUsd! / 2;
    expect(price).toBeGreaterThan(0);
    expect(await recordCosts()).toEqual([price, price]);
    const rt = testRuntime(project.root, env());
    const report = await writeReport(project.recipe, {}, { rt });
    expect(report.data).toMatchObject({ costUsd: summary.costUsd, costUnpriced: 0 });
    expect(report.data.nodes.map((n) => n.costUsd)).toEqual([price, price]);

    await rm(project.cacheDir, { recursive: true });
    expect(summaryOf(await runIn(project, {}, { env: env(), seed: 2 }))).toMatchObject({ cached: 2, submitted: 0 });
    const rebuilt = await writeReport(project.recipe, {}, { rt });
    expect(rebuilt.data).toMatchObject({ costUsd: null, costUnpriced: 2 });

    // Nodes only in the lock (a clone without out/ and a new cache): no result shown, none unpriced.
    // Before, "+ 2 unpriced" beside two tiles saying "no image yet" (walk-al 2).
    await rm(project.outDir, { recursive: true });
    await rm(project.cacheDir, { recursive: true });
    const none = await writeReport(project.recipe, {}, { rt });
    expect(none.data.counts['not-run']).toBe(2);
    expect(none.data).toMatchObject({ costUsd: null, costUnpriced: 0 });
  });

  it('two cells showing one paid result (the same image twice, a fixed seed) count it once', async () => {
    await mkdir(join(project.root, 'shots'));
    for (const name of ['one.jpg', 'two.jpg'])
      await copyFile(join(project.root, 'assets', 'portrait-astronaut.jpg'), join(project.root, 'shots', name));
    await project.writeRecipe(
      'version: 1\nname: test\nprovider: runcomfy\nhosting: { mode: inline }\nsources:\n  shots: shots/*.jpg\n' +
        'passes:\n  - id: sky\n    prompt: "Keep the face unchanged. Make the sky orange."\n    seed: 7\n',
    );
    const summary = summaryOf(await runIn(project, {}, { env: env() }));
    expect(summary).toMatchObject({ exitCode: 0, submitted: 1 });
    expect(summary.costUsd).toBeGreaterThan(0);
    const report = await writeReport(project.recipe, {}, { rt: testRuntime(project.root, env()) });
    const [first, second] = report.data.nodes;
    expect([first?.costUsd, second?.costUsd]).toEqual([summary.costUsd, summary.costUsd]);
    expect(second?.sameResultAs).toBe(first?.id);
    // Before, $0.08 for the one $0.04 request.
    expect(report.data).toMatchObject({ costUsd: summary.costUsd, costUnpriced: 0 });

    // Their records kept, their images gone (out/ and the cache's blobs): no result shown, nothing counted.
    // Before, the $0.04 of a request whose result the sheet does not show (walk-al 2).
    await rm(project.outDir, { recursive: true });
    await rm(join(project.cacheDir, 'blobs'), { recursive: true });
    const gone = await writeReport(project.recipe, {}, { rt: testRuntime(project.root, env()) });
    expect(gone.data.nodes.map((n) => [n.thumb, n.img])).toEqual([
      [null, null],
      [null, null],
    ]);
    expect(gone.data).toMatchObject({ costUsd: null, costUnpriced: 0 });
  });
});
