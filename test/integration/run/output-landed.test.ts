/**
 * Another run's result of this very node, landed between this run's plan and its check before
 * the submit (a `--shard` run of the same recipe on the same checkout, walk-l F1: the plain run
 * refused kontext's own output, "not a file kontext wrote", exit 65). The check then looks at the
 * cache again: the record is there, so the node is a cache hit, not a refusal and not a payment.
 * Staged in-process: once this run has planned (its first pass without a record), that pass's
 * result, as another project's run made it (same photo, prompt and seed, so the same key and
 * bytes), is put into this run's cache and out/ folder.
 */
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runRecipe, type RunEvent } from '../../../src/index.js';
import {
  createProject,
  eventsOf,
  lockMatchesFiles,
  recipeYaml,
  runIn,
  startRig,
  summaryOf,
  testRuntime,
  type Project,
  type Rig,
} from '../../helpers/run-fixtures.js';

const RECIPE = recipeYaml([
  ['sky', 'Keep the face unchanged. Make the sky orange.'],
  ['snow', 'Keep everything else unchanged. Add falling snow.'],
]);

let rig: Rig | undefined;
const projects: Project[] = [];
afterEach(async () => {
  await rig?.close();
  for (const p of projects.splice(0)) await p.cleanup();
  rig = undefined;
});

/** Every file under `dir`, relative. */
const filesIn = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name).slice(dir.length + 1));

function copyInto(from: string, to: string, names: readonly string[]): void {
  for (const name of names) {
    mkdirSync(dirname(join(to, name)), { recursive: true });
    copyFileSync(join(from, name), join(to, name));
  }
}

describe("another run's result of a node, landed after the plan", () => {
  it('is taken from the cache at the check before the submit: no refusal, nothing paid', async () => {
    rig = await startRig();
    const r = rig;
    const other = await createProject(RECIPE);
    const p = await createProject(RECIPE);
    projects.push(other, p);
    expect(summaryOf(await runIn(other, {}, { rig: r }))).toMatchObject({ exitCode: 0, submitted: 2 });
    const skyKey = (await other.readLock()).nodes['sky']?.key ?? '';
    let landed = false;
    const events: RunEvent[] = [];
    // Planned (sky without a record, its key known from its source), not yet checked: sky's result
    // lands as another run's would, blob, record, then the out/ file.
    const onEvent = (e: RunEvent): void => {
      events.push(e);
      if (e.type !== 'run-start') return;
      landed = true;
      copyInto(join(other.cacheDir, 'blobs'), join(p.cacheDir, 'blobs'), filesIn(join(other.cacheDir, 'blobs')));
      const record = join(skyKey.slice(0, 2), `${skyKey}.json`);
      copyInto(join(other.cacheDir, 'records'), join(p.cacheDir, 'records'), [record]);
      copyInto(other.outDir, p.outDir, [join('sky', 'photo.png')]);
    };
    const rt = testRuntime(p.root);
    const result = await runRecipe(p.recipe, { jobs: 1 }, { rt, session: r.session, onEvent });
    if (result.kind !== 'run') throw new Error('expected a run');
    expect(landed).toBe(true);
    expect(eventsOf(events, 'node-failed')).toEqual([]);
    expect(result.summary).toMatchObject({ exitCode: 0, submitted: 1, cached: 1 });
    expect(r.submits()).toHaveLength(3);
    expect(Object.keys((await p.readLock()).nodes).sort()).toEqual(['sky', 'snow']);
    expect((await lockMatchesFiles(p)).every((x) => x.ok)).toBe(true);
  }, 60_000);
});
