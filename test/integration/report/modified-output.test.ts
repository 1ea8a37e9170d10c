/**
 * An output edited by hand after the run (here: put back to the source itself) is what the
 * report shows — its image and thumbnail are the file on disk — so the change figures, the drift
 * mark and the change map of the provider's output it replaced must not be shown as its own.
 * Before, the tile read "Δ 99.4%" with a red DRIFT mark over an image identical to its input,
 * the header "1 with drift", `report --json` and `status --json` drift: 1, and status listed it
 * "Over max_change". Now the cell says why it has no figures, and nothing counts it as drift;
 * a record without a review is not reviewed for it either (that review would be of the
 * provider's output too).
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { writeReport } from '../../../src/index.js';
import { recordFiles } from '../../helpers/record-files.js';
import {
  ASSETS,
  createProject,
  recipeYaml,
  runIn,
  startRig,
  summaryOf,
  testRuntime,
  type Project,
  type Rig,
} from '../../helpers/run-fixtures.js';

let rig: Rig;
let project: Project;
beforeEach(async () => {
  rig = await startRig();
  project = await createProject(
    recipeYaml([
      ['sky', 'Keep the face unchanged. Make the sky orange.', 'max_change: 5%'],
      ['hat', 'Keep the face unchanged. Add a red hat.', 'max_change: 5%'],
    ]),
  );
});
afterEach(async () => {
  await rig.close();
  await project.cleanup();
});

async function cli(argv: readonly string[]): Promise<Record<string, unknown>> {
  const rt = testRuntime(project.root);
  const code = await main(argv, { rt });
  expect(code, rt.stderr.text()).toBe(0);
  return JSON.parse(rt.stdout.text()) as Record<string, unknown>;
}

describe('an output modified by hand in the report and status', () => {
  it('shows no change figures, drift mark or change map of the output it replaced, and says why', async () => {
    expect(summaryOf(await runIn(project, {}, { rig }))).toMatchObject({ done: 2, exitCode: 0 });
    // The emulator's edits change most of the image: both are over 5 % as the run left them.
    const before = await writeReport(project.recipe, {}, { rt: testRuntime(project.root) });
    expect(before.data.counts).toMatchObject({ 'up-to-date': 2, drift: 2 });

    // `hat`'s output put back to its input's picture by hand (a retouch that undid the edit).
    const hatFile = join(project.outDir, 'hat', 'photo.png');
    await sharp(join(ASSETS, 'portrait-astronaut.jpg')).png().toFile(hatFile);

    const report = await writeReport(project.recipe, {}, { rt: testRuntime(project.root) });
    const hat = report.data.nodes.find((n) => n.id === 'hat');
    expect(hat).toMatchObject({ state: 'modified', img: '../hat/photo.png', review: null, drift: false });
    expect(hat?.noReview).toMatch(/^modified by hand/);
    // The other node, as the run left it, keeps its figures and its drift.
    expect(report.data.nodes.find((n) => n.id === 'sky')).toMatchObject({ state: 'up-to-date', drift: true });
    expect(report.data.nodes.find((n) => n.id === 'sky')?.review?.map).toMatch(/^maps\//);
    expect(report.data.counts).toMatchObject({ 'up-to-date': 1, modified: 1, drift: 1 });

    // The CLI's figures say the same: report --json, status --json and its text.
    const json = await cli(['report', '--json', project.recipe]);
    expect(json['counts']).toMatchObject({ modified: 1, drift: 1, up_to_date: 1 }); // snake_case, as status's
    const status = await cli(['status', '--json', project.recipe]);
    expect(status['counts']).toMatchObject({ modified: 1, drift: 1 });
    const nodes = status['nodes'] as { node: string; state: string; drift: unknown }[];
    expect(nodes.find((n) => n.node === 'hat')).toMatchObject({ state: 'modified', drift: null });

    // A record without its review (rebuilt from the lock, an older record): not reviewed for the
    // modified cell either, where it would be the provider's output's figures again.
    for (const { file, record } of await recordFiles(project.cacheDir)) {
      const { review: _, ...rest } = record;
      await writeFile(file, `${JSON.stringify(rest, null, 2)}\n`);
    }
    const again = await writeReport(project.recipe, {}, { rt: testRuntime(project.root) });
    expect(again.data.nodes.find((n) => n.id === 'hat')).toMatchObject({ review: null, drift: false });
    expect(again.data.nodes.find((n) => n.id === 'sky')).toMatchObject({ drift: true });
    expect(again.data.counts).toMatchObject({ modified: 1, drift: 1 });
    // The page names the reason in the viewer (`no change map: …`).
    expect(await readFile(again.index, 'utf8')).toContain('modified by hand');
  });

  it('a missing output below one changed by hand: not run yet, and why (review-y 8)', async () => {
    expect(summaryOf(await runIn(project, {}, { rig }))).toMatchObject({ done: 2, exitCode: 0 });
    await writeFile(join(project.outDir, 'sky', 'photo.png'), 'retouched by hand');
    await rm(join(project.outDir, 'hat', 'photo.png'));
    const report = await writeReport(project.recipe, {}, { rt: testRuntime(project.root) });
    expect(report.data.nodes.find((n) => n.id === 'sky')).toMatchObject({ state: 'modified' });
    const hat = report.data.nodes.find((n) => n.id === 'hat');
    expect(hat).toMatchObject({ state: 'not-run', why: 'below sky, where the run stops: not until it is fixed' });
    expect(hat?.stale).toBe(false); // its own cached result, not an older one (review-z 8)
  });
});
