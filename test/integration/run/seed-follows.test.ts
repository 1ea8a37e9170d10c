/**
 * Seeds follow content (src/run/orphans.ts, displaced.ts), the harder cases: an edit that both
 * takes a pass back to what it once asked and renames another (the first keeps its own cached
 * seed, the renamed one takes its own old entry); a photo that takes an existing name while the
 * old photo's request is unfinished (journal only); `--only` and `--shard` after such a shift
 * (displaced entries are found over the whole plan, not the selection); and variants renamed
 * while in flight, each taking its own number's request.
 */
import { cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunRecipeOptions } from '../../../src/index.js';
import { journalEntries, journalFiles } from '../../helpers/journal-files.js';
import {
  ASSETS,
  createProject,
  recipeYaml,
  runIn,
  runStoppedOncePolled,
  startRig,
  summaryOf,
  type Project,
  type Rig,
} from '../../helpers/run-fixtures.js';

let rig: Rig | undefined;
let project: Project | undefined;
afterEach(async () => {
  await rig?.close();
  await project?.cleanup();
  rig = undefined;
  project = undefined;
});

const accepted = (r: Rig): number => r.submits().filter((s) => s.status === 200).length;

/** Queued until the run is stopped (runStoppedOncePolled), never cancellable: its requests stay journaled (paid). */
const SLOW = { queueMs: 20, runMs: 20, scenario: { faults: [{ kind: 'not-cancellable' as const }] } };

const GLOB = `version: 1
name: test
provider: emulator
sources:
  photos: "photos/*"
passes:
  - id: sky
    prompt: "Make the sky blue"
`;

async function globProject(): Promise<Project> {
  const p = await createProject(GLOB);
  await mkdir(join(p.root, 'photos'));
  await cp(join(ASSETS, 'pet-chelsea.jpg'), join(p.root, 'photos', 'shoe.png'));
  return p;
}

/** shoe.jpg sorts first and takes the name `shoe`; the photo that was `shoe` becomes `shoe-2`. */
const addShoeJpg = (p: Project): Promise<void> =>
  cp(join(ASSETS, 'scene-rocket.jpg'), join(p.root, 'photos', 'shoe.jpg'));

describe('seeds follow content', () => {
  it('a pass taken back to what it asked, and another renamed, in one edit: nothing paid', async () => {
    const yaml = (passes: [string, string][]): string =>
      recipeYaml(passes.map(([id, prompt]) => [id, prompt, 'from: photo'] as const));
    const r = (rig = await startRig({}));
    const p = (project = await createProject(yaml([['p', 'Add a blue hat']])));
    await runIn(p, {}, { rig: r });
    await p.writeRecipe(
      yaml([
        ['p', 'Add a red hat'],
        ['r', 'Add a blue hat'],
      ]),
    );
    await runIn(p, {}, { rig: r });
    expect(accepted(r)).toBe(3);
    // p's own seed has its blue result in the cache: p keeps it, and r2 takes r's entry.
    await p.writeRecipe(
      yaml([
        ['p', 'Add a blue hat'],
        ['r2', 'Add a blue hat'],
      ]),
    );
    expect(summaryOf(await runIn(p, {}, { rig: r }))).toMatchObject({ exitCode: 0, submitted: 0, cached: 2 });
    expect(accepted(r)).toBe(3);
  }, 40_000);

  it('a photo takes the name of one whose request is unfinished: re-attached, not paid again', async () => {
    const r = (rig = await startRig(SLOW));
    const p = (project = await globProject());
    expect(await runStoppedOncePolled(r, p, 1)).toBe(130);
    await addShoeJpg(p);
    expect(summaryOf(await runIn(p, {}, { rig: r }))).toMatchObject({ exitCode: 0, done: 2, submitted: 1 });
    expect(accepted(r)).toBe(2);
    expect(await journalFiles(p.cacheDir)).toEqual([]);
  }, 40_000);

  it.each([
    ['--only the shifted node', { only: ['sky@shoe-2'] }],
    ['--shard 2/2, which holds it', { shard: { index: 2, count: 2 } }],
  ] as const)(
    '%s after a shift: nothing paid for it',
    async (_what, options) => {
      const r = (rig = await startRig({}));
      const p = (project = await globProject());
      await runIn(p, {}, { rig: r });
      await addShoeJpg(p);
      const run = await runIn(p, options as Partial<RunRecipeOptions>, { rig: r });
      expect(summaryOf(run)).toMatchObject({ exitCode: 0, submitted: 0 });
      expect(run.events.some((e) => e.type === 'node-cached' && e.node === 'sky@shoe-2')).toBe(true);
      expect(accepted(r)).toBe(1);
    },
    40_000,
  );

  it('variants renamed while in flight each take their own number’s request', async () => {
    const KITE = 'Keep everything else unchanged. Add a kite in the sky.';
    const r = (rig = await startRig(SLOW));
    const p = (project = await createProject(recipeYaml([['kite', KITE, 'variants: 4']])));
    expect(await runStoppedOncePolled(r, p, 4)).toBe(130);
    // Each entry is <cache>/journal/<key>.json.
    const files = await journalFiles(p.cacheDir);
    const entries = await journalEntries(p.cacheDir);
    expect(files).toHaveLength(4);
    const journaled = new Map(entries.map((e, i) => [e.node, (files[i] ?? '').slice(0, -'.json'.length)] as const));
    await p.writeRecipe(recipeYaml([['sky-kite', KITE, 'variants: 4']]));
    expect(summaryOf(await runIn(p, {}, { rig: r }))).toMatchObject({ exitCode: 0, done: 4, submitted: 0 });
    const lock = await p.readLock();
    for (const k of [1, 2, 3, 4]) expect(lock.nodes[`sky-kite#${k}`]?.key).toBe(journaled.get(`kite#${k}`));
  }, 40_000);
});
