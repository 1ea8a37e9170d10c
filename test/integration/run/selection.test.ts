/**
 * What a run is allowed to do before it does it: --max-cost (abort before any submit, or pass
 * under the limit), --dry-run (no request, no session; billable counts), --explain reasons,
 * and --only (the pass and what it needs, nothing else).
 */
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  acceptedByPrompt,
  createProject,
  eventsOf,
  recipeYaml,
  runIn,
  startRig,
  summaryOf,
  type Project,
  type Rig,
} from '../../helpers/run-fixtures.js';
import type { DryRunReport } from '../../../src/index.js';

const P = {
  background: 'Keep the face unchanged. Replace the background with a rainy street.',
  jacket: 'Keep the face and background unchanged. Change the jacket to a yellow raincoat.',
  umbrella: 'Keep everything else unchanged. Add an orange umbrella.',
  hat: 'Keep the face unchanged. Add a blue hat.',
  scarf: 'Keep the face unchanged. Add a red scarf.',
  glasses: 'Keep the face unchanged. Add round glasses.',
} as const;

/** background → jacket → umbrella, plus hat, scarf and glasses straight from the photo. */
function recipe(o: { jacket?: string; hatSeed?: number; glassesRatio?: string; extra?: boolean } = {}): string {
  return recipeYaml([
    ['background', P.background],
    ['jacket', o.jacket ?? P.jacket],
    ['umbrella', P.umbrella],
    ['hat', P.hat, 'from: photo', `seed: ${o.hatSeed ?? 5}`],
    ['scarf', P.scarf, 'from: photo'],
    ['glasses', P.glasses, 'from: photo', `aspect_ratio: "${o.glassesRatio ?? '3:4'}"`],
    ...(o.extra ? [['bird', 'Keep everything else unchanged. Add a small bird.', 'from: photo'] as const] : []),
  ]);
}

let project: Project;
let rig: Rig;
afterEach(async () => {
  await rig.close();
  await project.cleanup();
});

async function setup(yaml = recipe(), priceUsd?: number): Promise<void> {
  project = await createProject(yaml);
  rig = await startRig(priceUsd === undefined ? {} : { priceUsd });
}

function reportOf(run: Awaited<ReturnType<typeof runIn>>): DryRunReport {
  if (run.result.kind !== 'dry-run') throw new Error('expected a dry run');
  return run.result.report;
}

describe('--max-cost', () => {
  it('aborts before any submit when the billable total is over the limit (exit 65)', async () => {
    await setup(recipe(), 0.04);
    const err = await runIn(project, { maxCostUsd: 0.2 }, { rig }).then(
      () => null,
      (e: unknown) => e as { code?: string; exitCode?: number; message?: string },
    );
    expect(err).toMatchObject({ code: 'E_MAX_COST', exitCode: 65 });
    expect(err?.message).toContain('6 billable requests');
    expect(rig.submits()).toEqual([]);
    expect(await project.outFiles().catch(() => [])).toEqual([]);
  });

  it('runs when under the limit, and a fully cached run passes even a zero limit', async () => {
    await setup(recipe(), 0.04);
    expect(summaryOf(await runIn(project, { maxCostUsd: 0.25 }, { rig }))).toMatchObject({ exitCode: 0, done: 6 });
    expect(rig.submits()).toHaveLength(6);
    expect(summaryOf(await runIn(project, { maxCostUsd: 0 }, { rig }))).toMatchObject({ exitCode: 0, cached: 6 });
    expect(rig.submits()).toHaveLength(6);
  });
});

describe('--dry-run and --explain', () => {
  it('makes no request and opens no session (a runcomfy recipe with no token still plans)', async () => {
    await setup(recipe().replace('provider: emulator', 'provider: runcomfy'));
    const run = await runIn(
      project,
      { dryRun: true },
      { env: { RUNCOMFY_MODEL_API_BASE: rig.emulator.baseUrl, KONTEXT_ALLOW_HOSTS: '127.0.0.1' } },
    );
    const report = reportOf(run);
    expect(report).toMatchObject({ billable: 6, cached: 0 });
    expect(report.rows.every((r) => r.status === 'run' && r.reason === 'new')).toBe(true);
    expect(rig.emulator.requestLog()).toEqual([]);
    expect(run.events).toEqual([]);
    expect(await project.outFiles().catch(() => [])).toEqual([]);
  });

  it('reports each reason: new, prompt-changed, input-changed, seed-changed, params-changed, forced', async () => {
    await setup();
    await runIn(project, {}, { rig });
    const callsAfterRun = rig.calls().length;
    await project.writeRecipe(
      recipe({
        jacket: 'Keep the face and background unchanged. Change the jacket to a red raincoat.',
        hatSeed: 6,
        glassesRatio: '1:1',
        extra: true,
      }),
    );
    const report = reportOf(await runIn(project, { dryRun: true, force: ['scarf'] }, { rig }));
    expect(Object.fromEntries(report.rows.map((r) => [r.node, r.status === 'cached' ? 'cached' : r.reason]))).toEqual({
      background: 'cached',
      jacket: 'prompt-changed',
      umbrella: 'input-changed',
      hat: 'seed-changed',
      scarf: 'forced',
      glasses: 'params-changed',
      bird: 'new',
    });
    expect(report).toMatchObject({ billable: 6, cached: 1 });
    expect(report.rows.find((r) => r.node === 'umbrella')?.input).toContain('jacket');
    // Nothing submitted or polled: the dry run only reads the model's price.
    const later = rig.calls().slice(callsAfterRun);
    expect(later.every((c) => c.method === 'GET' && c.path.startsWith('/v1/models/'))).toBe(true);
  });
});

describe('a fresh machine: the lock and out/, no cache (walk-y 4)', () => {
  it('a changed prompt is named so by the dry run and --frozen, not as a result missing from out/', async () => {
    await setup();
    expect(summaryOf(await runIn(project, {}, { rig })).exitCode).toBe(0);
    await rm(project.cacheDir, { recursive: true, force: true }); // a CI runner: only the repo
    await project.writeRecipe(
      recipe({ jacket: 'Keep the face and background unchanged. Change the jacket to a red raincoat.' }),
    );
    const report = reportOf(await runIn(project, { dryRun: true }, { rig }));
    const reasons = Object.fromEntries(report.rows.map((r) => [r.node, r.status === 'cached' ? 'cached' : r.reason]));
    // jacket's key is not the lock's (its old record, which would say what changed, is in no cache).
    expect(reasons).toMatchObject({ background: 'cached', jacket: 'request-changed', umbrella: 'input-changed' });
    const submits = rig.submits().length;
    await expect(runIn(project, { frozen: true }, { rig })).rejects.toMatchObject({
      code: 'E_FROZEN',
      exitCode: 65,
      message: expect.stringContaining('jacket: prompt or params changed since the lock, would need a request'),
    });
    expect(rig.submits()).toHaveLength(submits);
  });
});

describe('--explain on a real run', () => {
  it('says, before submitting, why each node runs and how its input reaches the API', async () => {
    await setup();
    expect(summaryOf(await runIn(project, {}, { rig })).exitCode).toBe(0);
    await project.writeRecipe(
      recipe({ jacket: 'Keep the face and background unchanged. Change the jacket to a green raincoat.' }),
    );
    const run = await runIn(project, { explain: true }, { rig });
    const plans = eventsOf(run.events, 'node-plan');
    expect(plans.map((p) => [p.node, p.reason])).toEqual([
      ['jacket', 'prompt-changed'],
      ['umbrella', 'input-changed'],
    ]);
    // jacket reads background's cached output; umbrella reads jacket's fresh output of this run.
    expect(plans[0]?.input).toMatch(/background/);
    expect(plans[1]?.input).toBe('output URL of jacket from this run (no upload)');
    // The explanation comes before anything is submitted.
    const firstStart = run.events.findIndex((e) => e.type === 'node-start');
    expect(run.events.findIndex((e) => e.type === 'node-plan')).toBeLessThan(firstStart);
  });
});

describe('--only', () => {
  it('runs the named pass and what it needs, nothing else', async () => {
    await setup();
    const run = await runIn(project, { only: ['jacket'] }, { rig });
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 2 });
    expect(Object.fromEntries(acceptedByPrompt(rig.calls()))).toEqual({ [P.background]: 1, [P.jacket]: 1 });
    const touched = new Set(run.events.flatMap((e) => ('node' in e && e.node !== undefined ? [e.node] : [])));
    expect([...touched].sort()).toEqual(['background', 'jacket']);
    expect(Object.keys((await project.readLock()).nodes).sort()).toEqual(['background', 'jacket']);
    expect(eventsOf(run.events, 'run-start')[0]).toMatchObject({ nodes: 2, to_run: 2 });
  });

  it('rejects an unknown pass name before any request (usage error, exit 64)', async () => {
    await setup();
    await expect(runIn(project, { only: ['jackt'] }, { rig })).rejects.toMatchObject({ exitCode: 64 });
    expect(rig.calls()).toEqual([]);
  });
});
