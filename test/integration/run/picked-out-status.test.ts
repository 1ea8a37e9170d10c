/**
 * A branch a `pick:` leaves out whose output holds other bytes than its lock entry: the state a
 * `kontext run` killed while `kontext pick` rewrote the recipe leaves (walk-z 4: the run wrote the
 * new result, the lock kept the old sha256), written here directly. `kontext status` says it (it
 * looked at no picked-out entry), a run puts the lock's bytes back from the cache without a
 * request, and un-picking is still free. A hand edit there is kept (unless --overwrite), and so is
 * a file whose lock bytes no cache holds.
 */
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recipeStatus } from '../../../src/index.js';
import { loadRecipe } from '../../../src/recipe/index.js';
import { collectReport } from '../../../src/report/collect.js';
import { cli, cliEnv } from '../../helpers/cli-spawn.js';
import { openStore } from '../../../src/store/index.js';
import type { LockFile } from '../../../src/store/types.js';
import {
  createProject,
  eventsOf,
  isSubmit,
  recipeYaml,
  runIn,
  sha256File,
  startRig,
  summaryOf,
  testRuntime,
  type Project,
  type Rig,
} from '../../helpers/run-fixtures.js';

const BAG = 'Put a paper bag on the desk.';
const shade = (prompt: string, pick: boolean): string =>
  recipeYaml([
    ['bag', BAG, 'variants: 2', ...(pick ? ['pick: 2'] : [])],
    ['shade', prompt],
  ]);

let rig: Rig;
let project: Project;
/** The lock entry of `shade#1` as the first prompt made it (the killed run's lock still names it). */
let old: LockFile['nodes'][string];
let out: string;

beforeEach(async () => {
  rig = await startRig();
  project = await createProject(shade('Make the light warm.', false));
  expect(summaryOf(await runIn(project, {}, { rig }))).toMatchObject({ exitCode: 0, done: 4 });
  old = (await project.readLock()).nodes['shade#1'] ?? expect.fail('no shade#1 entry');
  out = join(project.root, old.output);
  // The new prompt's results written (out/ and the lock), then the pick, and the lock entry of the
  // picked-out shade#1 put back to the old result: its file holds the new bytes.
  await project.writeRecipe(shade('Make the light cold.', false));
  expect(summaryOf(await runIn(project, {}, { rig }))).toMatchObject({ exitCode: 0, done: 2 });
  await project.writeRecipe(shade('Make the light cold.', true));
  const lock = await project.readLock();
  await writeFile(project.lockPath, `${JSON.stringify({ ...lock, nodes: { ...lock.nodes, 'shade#1': old } })}\n`);
  expect(await sha256File(out)).not.toBe(old.output_sha256);
});
afterEach(async () => {
  await rig.close();
  await project.cleanup();
});

const statusNow = () => recipeStatus(project.recipe, {}, { rt: testRuntime(project.root) });
/** The report page's data: the picked-out files are listed above the grid (they are none of its cells). */
async function reportLines(): Promise<readonly string[] | undefined> {
  const rt = testRuntime(project.root);
  const recipe = await loadRecipe(project.recipe, { rt, strict: false, allowOutsideRoot: false });
  return (await collectReport(recipe, { store: await openStore(project.cacheDir), rt })).data.pickedOut;
}
const submits = (): number => rig.calls().filter(isSubmit).length;

describe('a picked-out branch whose output differs from the lock', () => {
  it('is said by status; the run restores the lock bytes for nothing; un-picking stays free', async () => {
    const before = await statusNow();
    expect(before.nodes.map((n) => n.state)).toEqual(['up-to-date', 'up-to-date', 'up-to-date']);
    expect(before.pickedOut).toMatchObject([
      { node: 'shade#1', state: 'missing', restorable: true, picked_out: true, output: out },
    ]);
    expect(before.dirty).toBe(true);
    // The CLI's words: the file in its group, and the last line counting it.
    const env = cliEnv(project.root, { KONTEXT_CACHE_DIR: project.cacheDir });
    const said = await cli(['status', 'recipe.yml', '--exit-code'], { cwd: project.root, env });
    expect(said.code, said.stderr).toBe(1);
    expect(said.stdout).toMatch(/shade#1 +out\/\S+ +\(picked out; restorable from cache\)/);
    expect(said.stdout).toContain("; 1 file of branches a pick leaves out not the lock's\n");
    expect(await reportLines()).toEqual([
      `shade#1: ${old.output} is not the lock's output (picked out); ` +
        'a run restores it from the cache, without a request',
    ]);

    const preview = await runIn(project, { dryRun: true }, { rig });
    expect(eventsOf(preview.events, 'notice').map((e) => e.message)).toContainEqual(
      expect.stringContaining('a run would restore from the cache shade#1'),
    );
    expect(await sha256File(out)).not.toBe(old.output_sha256);
    const paid = submits();
    const run = await runIn(project, {}, { rig });
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, submitted: 0 });
    expect(eventsOf(run.events, 'notice').map((e) => e.message)).toContainEqual(expect.stringContaining('shade#1'));
    expect(await sha256File(out)).toBe(old.output_sha256);
    expect((await project.readLock()).nodes['shade#1']).toEqual(old);
    const after = await statusNow();
    expect([after.pickedOut, after.dirty]).toEqual([[], false]);
    expect(await reportLines()).toBeUndefined();

    await project.writeRecipe(shade('Make the light cold.', false));
    expect(summaryOf(await runIn(project, {}, { rig }))).toMatchObject({ exitCode: 0, submitted: 0 });
    expect(submits()).toBe(paid);
    expect((await statusNow()).dirty).toBe(false);
  });

  it('keeps a hand edit there (said modified) unless --overwrite', async () => {
    await writeFile(out, 'retouched by hand');
    const notices = async (overwrite: boolean) =>
      eventsOf((await runIn(project, { dryRun: true, overwrite }, { rig })).events, 'notice').map((e) => e.message);
    expect(await notices(false)).toContainEqual(expect.stringContaining('a run would leave shade#1'));
    expect(await notices(true)).toContainEqual(expect.stringContaining('a run would replace the hand edit shade#1'));
    expect(await readFile(out, 'utf8')).toBe('retouched by hand');
    expect((await statusNow()).pickedOut).toMatchObject([
      { node: 'shade#1', state: 'modified', restorable: false, picked_out: true },
    ]);
    const run = await runIn(project, {}, { rig });
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, submitted: 0 });
    expect(eventsOf(run.events, 'warning').map((e) => e.message)).toContainEqual(expect.stringContaining('shade#1'));
    expect(await readFile(out, 'utf8')).toBe('retouched by hand');
    expect(summaryOf(await runIn(project, { overwrite: true }, { rig }))).toMatchObject({ exitCode: 0 });
    expect(await sha256File(out)).toBe(old.output_sha256);
  });

  it('takes the picked variant copied over it for a hand edit, and says what --overwrite replaced', async () => {
    const picked = (await project.readLock()).nodes['shade#2'] ?? expect.fail('no shade#2 entry');
    await writeFile(out, await readFile(join(project.root, picked.output)));
    expect((await statusNow()).pickedOut).toMatchObject([{ node: 'shade#1', state: 'modified', picked_out: true }]);
    const run = await runIn(project, {}, { rig });
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, submitted: 0 });
    expect(await sha256File(out)).toBe(picked.output_sha256);
    const forced = await runIn(project, { overwrite: true }, { rig });
    expect(await sha256File(out)).toBe(old.output_sha256);
    expect(eventsOf(forced.events, 'notice').map((e) => e.message)).not.toContainEqual(
      expect.stringContaining('shade#1'),
    );
    expect(eventsOf(forced.events, 'warning').map((e) => e.message)).toContainEqual(
      expect.stringMatching(/shade#1 .*changed by hand, replaced .*--overwrite/),
    );
  });

  it("never writes a file of the plan's nodes that a picked-out entry names (a hand-edited lock)", async () => {
    const lock = await project.readLock();
    const picked = lock.nodes['shade#2'] ?? expect.fail('no shade#2 entry');
    const hostile = { ...lock, nodes: { ...lock.nodes, 'shade#1': { ...old, output: picked.output } } };
    await writeFile(project.lockPath, `${JSON.stringify(hostile)}\n`);
    expect((await statusNow()).pickedOut).toEqual([]);
    for (let i = 0; i < 2; i++) {
      const run = await runIn(project, {}, { rig });
      expect(summaryOf(run)).toMatchObject({ exitCode: 0, submitted: 0 });
      expect(await sha256File(join(project.root, picked.output))).toBe(picked.output_sha256);
    }
  });

  it('leaves the file when no cache holds the lock bytes, and says so', async () => {
    const blob = join(project.cacheDir, 'blobs', old.output_sha256.slice(0, 2), old.output_sha256);
    expect(existsSync(blob)).toBe(true);
    await rm(blob);
    const held = await sha256File(out);
    expect((await statusNow()).pickedOut).toMatchObject([{ node: 'shade#1', state: 'missing', restorable: false }]);
    const run = await runIn(project, {}, { rig });
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, submitted: 0 });
    expect(eventsOf(run.events, 'warning').map((e) => e.message)).toContainEqual(expect.stringContaining('no cache'));
    expect(await sha256File(out)).toBe(held);
  });
});
