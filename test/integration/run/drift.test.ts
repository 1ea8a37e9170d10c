/**
 * Issue 14 (drift), through the CLI in-process against a standalone emulator (provider runcomfy,
 * inline hosting): every finished node's run record gets a review and a change map; a pass over
 * its `max_change` gets a drift warning in every output format and in the summary; `kontext
 * status` names it; the lock never holds a review. The emulator's edits (a hue rotation plus
 * marks) change nearly every pixel, so a low `max_change` is exceeded.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import {
  buildPlan,
  loadRecipe,
  NodeReviews,
  RunEvent,
  startEmulator,
  type EmulatorHandle,
} from '../../../src/index.js';
import { openStore } from '../../../src/store/index.js';
import { layout } from '../../../src/store/layout.js';
import type { RunRecord } from '../../../src/store/types.js';
import {
  createProject,
  isSubmit,
  recipeYaml,
  sha256File,
  testRuntime,
  type Project,
} from '../../helpers/run-fixtures.js';

let emulator: EmulatorHandle;
let project: Project;
beforeEach(async () => {
  emulator = await startEmulator({ queueMs: 5, runMs: 5 });
  project = await createProject(
    recipeYaml(
      [
        ['sky', 'Keep the face unchanged. Make the sky orange.', 'seed: 42', 'max_change: 5%'],
        ['hat', 'Keep the face unchanged. Add a red hat.', 'seed: 7', 'max_change: 100'],
        ['scarf', 'Keep the face unchanged. Add a blue scarf.', 'seed: 9'],
      ],
      ['hosting: { mode: inline }'],
    ).replace('provider: emulator', 'provider: runcomfy'),
  );
});
afterEach(async () => {
  await emulator.close();
  await project.cleanup();
});

async function cli(argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const rt = testRuntime(project.root, {
    RUNCOMFY_MODEL_API_BASE: emulator.baseUrl,
    KONTEXT_ALLOW_HOSTS: '127.0.0.1',
    RUNCOMFY_TOKEN: 'test-token',
    KONTEXT_CACHE_DIR: project.cacheDir,
  });
  const code = await main(argv, { rt });
  return { code, stdout: rt.stdout.text(), stderr: rt.stderr.text() };
}

const submits = (): number => emulator.requestLog().filter(isSubmit).length;
const events = (text: string): RunEvent[] =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => RunEvent.parse(JSON.parse(l)));

async function recordOf(node: string): Promise<RunRecord> {
  const key = (await project.readLock()).nodes[node]?.key ?? '';
  return JSON.parse(await readFile(layout.record(project.cacheDir, key), 'utf8')) as RunRecord;
}

async function rewriteRecord(node: string, change: (r: Record<string, unknown>) => void): Promise<void> {
  const key = (await project.readLock()).nodes[node]?.key ?? '';
  const path = layout.record(project.cacheDir, key);
  const record = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  change(record);
  await writeFile(path, JSON.stringify(record));
}

describe('drift', () => {
  it('stores a review with every record, warns for the node over max_change (json), never in the lock', async () => {
    const run = await cli(['run', '--json', 'recipe.yml']);
    expect(run.code).toBe(0);
    const all = events(run.stdout);
    const drift = all.filter((e) => e.type === 'warning' && e.drift !== undefined);
    expect(drift.map((e) => e.type === 'warning' && e.node)).toEqual(['sky']);
    const sky = drift[0];
    if (sky?.type !== 'warning' || !sky.drift) throw new Error('no drift warning');
    expect(sky.drift.max_change).toBe(5);
    expect(sky.drift.changed_pct).toBeGreaterThan(5);
    const summary = all.at(-1);
    expect(summary?.type === 'run-summary' && summary.drift).toEqual(['sky']);
    // The warning comes after the node is done: the review never held the node back.
    expect(all.findIndex((e) => e.type === 'node-done' && e.node === 'sky')).toBeLessThan(all.indexOf(sky));

    for (const node of ['sky', 'hat', 'scarf']) {
      const { review } = await recordOf(node);
      expect(review, node).toMatchObject({ metric: 'cie76-lab-4', threshold: 10 });
      if (!review) throw new Error(`no review for ${node}`);
      expect(review.changed_pct).toBeGreaterThan(0);
      expect(review.chain_changed_pct).not.toBeNull();
      const map = await readFile(layout.blob(project.cacheDir, review.map_sha256));
      expect(await sharp(map).metadata()).toMatchObject({
        format: 'png',
        width: review.width,
        height: review.height,
        channels: 4,
      });
      expect(Math.max(review.width, review.height)).toBeLessThanOrEqual(256);
    }
    // The first pass's input is the source itself: both figures are the same comparison.
    const first = (await recordOf('sky')).review;
    expect(first?.chain_changed_pct).toBe(first?.changed_pct);
    const lock = await readFile(project.lockPath, 'utf8');
    for (const word of ['review', 'changed_pct', 'map_sha256', 'cie76']) expect(lock).not.toContain(word);
  });

  it('cached re-run: warns again (plain), status names the node, old or damaged reviews redone free', async () => {
    expect((await cli(['run', 'recipe.yml'])).code).toBe(0);
    expect(submits()).toBe(3);

    const plain = await cli(['run', 'recipe.yml']);
    expect(plain.code).toBe(0);
    expect(plain.stderr).toMatch(
      /^drift +sky: changed [\d.]+% of the image, over max_change 5%; [\d.]+% since the source$/m,
    );
    expect(plain.stderr).not.toMatch(/^drift +(hat|scarf)/m);
    expect(plain.stderr).toMatch(/cached 3 · .*drift 1 \(sky\)/);

    const status = await cli(['status', 'recipe.yml']);
    expect(status.stdout).toMatch(/Over max_change \(1\):\n.*\n\tsky +changed [\d.]+%, max_change 5%\n/);
    const json = JSON.parse((await cli(['status', '--json', 'recipe.yml'])).stdout) as {
      counts: { drift: number };
      clean: boolean;
      nodes: { node: string; drift: { max_change: number } | null }[];
    };
    expect(json.counts.drift).toBe(1);
    expect(json.clean).toBe(true);
    expect(json.nodes.map((n) => [n.node, n.drift?.max_change ?? null])).toEqual([
      ['sky', 5],
      ['hat', null],
      ['scarf', null],
    ]);

    // A record from before reviews existed, and one whose review is damaged: still cache hits.
    const before = (await recordOf('sky')).review;
    await rewriteRecord('sky', (r) => delete r['review']);
    await rewriteRecord('hat', (r) => {
      r['review'] = { metric: 'cie76-lab', changed_pct: 'lots' };
    });
    const again = await cli(['run', '--json', 'recipe.yml']);
    expect(again.code).toBe(0);
    expect(submits()).toBe(3);
    const warned = events(again.stdout).filter((e) => e.type === 'warning' && e.drift !== undefined);
    expect(warned.map((e) => e.type === 'warning' && e.node)).toEqual(['sky']);
    expect((await recordOf('sky')).review).toEqual(before);
    expect((await recordOf('hat')).review?.changed_pct).toEqual(expect.any(Number));

    // A review by an earlier metric (cie76-lab-2: before a one-pixel shift was forgiven; plain
    // cie76-lab: before transparency and re-framing counted) is made again, not trusted: its 0 %
    // does not hide the drift.
    await rewriteRecord('sky', (r) => {
      r['review'] = { ...before, metric: 'cie76-lab-2', changed_pct: 0 };
    });
    const redone = await cli(['run', '--json', 'recipe.yml']);
    const again2 = events(redone.stdout).filter((e) => e.type === 'warning' && e.drift !== undefined);
    expect(again2.map((e) => e.type === 'warning' && e.node)).toEqual(['sky']);
    expect(submits()).toBe(3);
    expect((await recordOf('sky')).review).toEqual(before);

    // Without max_change, a cache hit is not reviewed (a no-op run decodes nothing)…
    await rewriteRecord('scarf', (r) => delete r['review']);
    expect((await cli(['run', 'recipe.yml'])).code).toBe(0);
    expect((await recordOf('scarf')).review).toBeUndefined();
    // …but the API reviews it on demand (what a report does), and keeps it.
    const rt = testRuntime(project.root);
    const plan = buildPlan(await loadRecipe(project.recipe, { rt }));
    const store = await openStore(project.cacheDir);
    const scarf = plan.nodes.find((n) => n.id === 'scarf');
    if (!scarf) throw new Error('no scarf');
    const review = await new NodeReviews(plan.nodes, store).reviewOf(scarf, await recordOf('scarf'));
    expect(review?.chain_changed_pct).toEqual(expect.any(Number));
    expect((await recordOf('scarf')).review).toEqual(review);

    // `ifUnchanged` (a report beside a run): a record that names another output by the time the
    // review is done is not overwritten with the old one; the review is still returned.
    const old = await recordOf('scarf');
    await rewriteRecord('scarf', (r) => {
      delete r['review'];
      r['output_sha256'] = r['input_sha256'];
    });
    const newer = await recordOf('scarf');
    const { review: _dropped, ...unreviewed } = old;
    const stale = await new NodeReviews(plan.nodes, store).reviewOf(scarf, unreviewed, { ifUnchanged: true });
    expect(stale).toEqual(review);
    expect(await recordOf('scarf')).toEqual(newer);
    // Unchanged, it is stored as without the option.
    await rewriteRecord('scarf', (r) => {
      delete r['review'];
      r['output_sha256'] = old.output_sha256;
    });
    await new NodeReviews(plan.nodes, store).reviewOf(scarf, unreviewed, { ifUnchanged: true });
    expect((await recordOf('scarf')).review).toEqual(review);
  });

  it('a lock-current node whose cached record is damaged or gone is still checked against max_change', async () => {
    expect((await cli(['run', 'recipe.yml'])).code).toBe(0);
    const sky = await recordOf('sky');
    await rewriteRecord('sky', (r) => delete r['review']);
    const blob = layout.blob(project.cacheDir, sky.output_sha256);
    await writeFile(blob, (await readFile(blob)).subarray(0, 100)); // a torn blob; out/ still holds the output
    const again = await cli(['run', '--json', 'recipe.yml']);
    expect(again.code).toBe(0);
    expect(submits()).toBe(3);
    const warned = events(again.stdout).filter((e) => e.type === 'warning' && e.drift !== undefined);
    expect(warned.map((e) => e.type === 'warning' && e.node)).toEqual(['sky']);
    const summary = events(again.stdout).at(-1);
    expect(summary?.type === 'run-summary' && summary.drift).toEqual(['sky']);
    // The blob is back from the output file (the lock proves its bytes), with the review.
    expect(await sha256File(blob)).toBe(sky.output_sha256);
    expect((await recordOf('sky')).review).toEqual(sky.review);
    // A deleted record (a teammate's clone, a cleared cache): rebuilt from the lock, checked again.
    await rm(layout.record(project.cacheDir, sky.key));
    const cleared = await cli(['run', '--json', 'recipe.yml']);
    expect(events(cleared.stdout).at(-1)).toMatchObject({ type: 'run-summary', drift: ['sky'] });
    expect(submits()).toBe(3);
  });

  it('a figure over max_change never reads as the limit: 98.55 (98.5499…) over 98.5 says 98.55%', async () => {
    expect((await cli(['run', 'recipe.yml'])).code).toBe(0);
    await rewriteRecord('sky', (r) => {
      r['review'] = { ...(r['review'] as object), changed_pct: 98.55, chain_changed_pct: 99.07 };
    });
    await project.writeRecipe((await readFile(project.recipe, 'utf8')).replace('max_change: 5%', 'max_change: 98.5%'));
    // Before: "changed 98.5% of the image, over max_change 98.5%", and status "changed 98.5%, max_change 98.5%".
    const run = await cli(['run', 'recipe.yml']);
    expect(run.stderr).toMatch(
      /^drift +sky: changed 98\.55% of the image, over max_change 98\.5%; 99\.1% since the source$/m,
    );
    expect((await cli(['status', 'recipe.yml'])).stdout).toMatch(/\tsky +changed 98\.55%, max_change 98\.5%\n/);
    expect(submits()).toBe(3);
  });

  it('no max_change anywhere: reviews are stored, but nothing warns and the summary has no drift', async () => {
    const text = await readFile(project.recipe, 'utf8');
    await project.writeRecipe(text.replace(/\n +max_change: .*/g, ''));
    const run = await cli(['run', '--json', 'recipe.yml']);
    expect(run.code).toBe(0);
    const all = events(run.stdout);
    expect(all.filter((e) => e.type === 'warning')).toEqual([]);
    const summary = all.at(-1);
    expect(summary?.type === 'run-summary' && 'drift' in summary).toBe(false);
    expect((await recordOf('scarf')).review?.map_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await cli(['status', 'recipe.yml'])).stdout).not.toContain('max_change');
  });
});
