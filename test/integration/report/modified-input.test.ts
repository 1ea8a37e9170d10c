/**
 * A node whose INPUT (the upstream's output) was changed by hand: its change figures and change
 * map were measured against the provider's output it was made from (its record's `input_sha256`),
 * so its viewer's "before" must be that image, not the edited file beside it. Before, `input` was
 * the upstream's file on disk (`../sky/photo.png`): the before/after split and the "changed
 * 74 %" disagreed. Now a preview of the bytes the record names, from the cache; when the cache
 * lacks them, the file with a note saying it is not what was measured. The served page may send
 * that preview (its allow-list is the data's URLs).
 */
import { copyFile, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeReport } from '../../../src/index.js';
import { servableFiles } from '../../../src/report/serve/files.js';
import { recordFiles } from '../../helpers/record-files.js';
import {
  ASSETS,
  createProject,
  recipeYaml,
  runIn,
  sha256File,
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
      ['sky', 'Keep the face unchanged. Make the sky orange.'],
      ['hat', 'Keep the face unchanged. Add a red hat.'],
    ]),
  );
});
afterEach(async () => {
  await rig.close();
  await project.cleanup();
});

/** Mean absolute difference per channel (0–255) of two images at 64 × 64. */
async function meanDiff(a: Buffer | string, b: Buffer | string): Promise<number> {
  const raw = (img: Buffer | string) => sharp(img).resize(64, 64, { fit: 'fill' }).removeAlpha().raw().toBuffer();
  const [x, y] = await Promise.all([raw(a), raw(b)]);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.abs((x[i] ?? 0) - (y[i] ?? 0));
  return sum / x.length;
}

describe("a node whose upstream output was changed by hand: the viewer's before image", () => {
  it('is the image the node was made from and measured against, or says it is not', async () => {
    expect(summaryOf(await runIn(project, {}, { rig }))).toMatchObject({ done: 2, exitCode: 0 });
    const skyFile = join(project.outDir, 'sky', 'photo.png');
    const skyOutput = await readFile(skyFile);
    const skySha = await sha256File(skyFile);

    // As the run left it: the before image is sky's file, the same bytes hat was made from.
    const first = await writeReport(project.recipe, {}, { rt: testRuntime(project.root) });
    expect(first.data.nodes.find((n) => n.id === 'hat')).toMatchObject({ input: '../sky/photo.png', from: 'sky' });

    // sky's output changed by hand: the astronaut back, nothing like what hat was made from.
    await sharp(join(ASSETS, 'portrait-astronaut.jpg')).png().toFile(skyFile);
    const report = await writeReport(project.recipe, {}, { rt: testRuntime(project.root) });
    const hat = report.data.nodes.find((n) => n.id === 'hat');
    expect(report.data.nodes.find((n) => n.id === 'sky')).toMatchObject({ state: 'modified', img: '../sky/photo.png' });
    expect(hat?.state).toBe('up-to-date');
    expect(hat?.review?.changed_pct).toBeGreaterThan(0);
    expect(hat?.input).toBe(`inputs/${skySha}.webp`);
    expect(hat?.beforeNote).toBeUndefined();
    // The preview is of sky's output as the provider gave it, not the edited file.
    const preview = join(report.dir, 'inputs', `${skySha}.webp`);
    const [toOutput, toEdited] = [await meanDiff(preview, skyOutput), await meanDiff(preview, skyFile)];
    expect(toOutput * 3).toBeLessThan(toEdited);
    // The served page may send it.
    expect(servableFiles(report.data)).toContain(`report/inputs/${skySha}.webp`);

    // Without those bytes in the cache: the edited file, and the viewer says it is not what was measured.
    await rm(join(project.cacheDir, 'blobs', skySha.slice(0, 2), skySha));
    expect((await recordFiles(project.cacheDir)).length).toBe(2);
    const without = await writeReport(project.recipe, {}, { rt: testRuntime(project.root) });
    const hat2 = without.data.nodes.find((n) => n.id === 'hat');
    expect(hat2?.input).toBe('../sky/photo.png');
    expect(hat2?.beforeNote).toMatch(/^sky's output as changed by hand, not the image this node was made from/);
    expect(await readFile(without.index, 'utf8')).toContain('"beforeNote":"sky');
  });

  it('a first pass whose source photo was replaced: the note says the source is not what was measured', async () => {
    expect(summaryOf(await runIn(project, {}, { rig }))).toMatchObject({ done: 2, exitCode: 0 });
    // The source photo replaced by another: sky is stale, its figures still those against the astronaut.
    const source = join(project.root, 'assets', 'portrait-astronaut.jpg');
    await copyFile(join(ASSETS, 'pet-chelsea.jpg'), source);
    const report = await writeReport(project.recipe, {}, { rt: testRuntime(project.root) });
    const sky = report.data.nodes.find((n) => n.id === 'sky');
    expect(sky?.review?.changed_pct).toBeGreaterThan(0);
    // The source as a run would host it now is not in the cache (sources are not kept there).
    expect(sky?.beforeNote).toMatch(/^the source as it is now, not the image this node was made from/);
  });
});
