/**
 * A caller's provider session (`runRecipe`/`runEdit` deps `session`) serves only the nodes on its
 * own provider. Used for another, it paid at one API while the lock and the cache said the other
 * (a runcomfy session on a `provider: emulator` recipe paid RunComfy; an emulator session on a
 * runcomfy recipe stored the emulator's image as RunComfy's result, which a later real run took as
 * cached). Such a run is refused, exit 64 naming both, before any request; nothing is written.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runEdit, runRecipe } from '../../../src/index.js';
import {
  createProject,
  recipeYaml,
  runIn,
  startRig,
  summaryOf,
  testRuntime,
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

const PROMPT = 'Keep the face unchanged. Make the sky orange.';
const EMULATOR_RECIPE = recipeYaml([['a', PROMPT]]);
const RUNCOMFY_RECIPE = EMULATOR_RECIPE.replace('provider: emulator', 'provider: runcomfy\nhosting: { mode: inline }');

/** Every record file in the project's cache dir (none: nothing was stored as anyone's result). */
async function cachedRecords(p: Project): Promise<string[]> {
  const dir = join(p.cacheDir, 'records');
  return existsSync(dir) ? (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.json')) : [];
}

describe("a caller's session on another provider than the run's", () => {
  it('a runcomfy session on a provider: emulator recipe: refused, exit 64 naming both; nothing paid', async () => {
    rig = await startRig({ provider: 'runcomfy' });
    project = await createProject(EMULATOR_RECIPE);
    const refused = await runIn(project, {}, { rig }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'E_USAGE', exitCode: 64 });
    expect(String((refused as Error).message)).toMatch(/runcomfy.*emulator/);
    expect(rig.submits()).toHaveLength(0);
    expect(existsSync(project.lockPath)).toBe(false);
    // The dry run says the same failure.
    const dry = await runIn(project, { dryRun: true }, { rig });
    expect(dry.result.kind === 'dry-run' && dry.result.failure).toMatchObject({ code: 'E_USAGE', exitCode: 64 });
  }, 30_000);

  it('an emulator session on a runcomfy recipe: refused, nothing cached; a runcomfy one runs it', async () => {
    rig = await startRig({ provider: 'emulator' });
    project = await createProject(RUNCOMFY_RECIPE);
    const refused = await runIn(project, {}, { rig }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'E_USAGE', exitCode: 64 });
    expect(String((refused as Error).message)).toMatch(/emulator.*runcomfy/);
    expect(rig.submits()).toHaveLength(0);
    expect(await cachedRecords(project)).toEqual([]);
    expect(existsSync(project.lockPath)).toBe(false);

    // `--provider emulator` moves every node onto the session's provider: it serves them.
    const moved = await runIn(project, { provider: 'emulator' }, { rig });
    expect(summaryOf(moved)).toMatchObject({ exitCode: 0, submitted: 1 });
    expect(Object.values((await project.readLock()).nodes).map((n) => n.provider)).toEqual(['emulator']);
    await rig.close();

    // A session that is RunComfy's runs the recipe itself, paid once at "RunComfy".
    rig = await startRig({ provider: 'runcomfy' });
    const right = await runIn(project, {}, { rig });
    expect(summaryOf(right)).toMatchObject({ exitCode: 0, submitted: 1 });
    expect(rig.submits()).toHaveLength(1);
  }, 30_000);

  it('runEdit with a session of another provider: refused, nothing paid', async () => {
    rig = await startRig({ provider: 'emulator' });
    project = await createProject(EMULATOR_RECIPE);
    const rt = testRuntime(project.root);
    const edit = runEdit(
      {
        image: 'assets/portrait-astronaut.jpg',
        prompt: PROMPT,
        seed: 3,
        output: 'edited/sky.png',
        provider: 'runcomfy',
        hosting: 'inline',
      },
      { rt, onEvent: () => undefined, session: rig.session },
    );
    await expect(edit).rejects.toMatchObject({ code: 'E_USAGE', exitCode: 64 });
    expect(rig.submits()).toHaveLength(0);
    expect(existsSync(join(project.root, 'edited', 'sky.png'))).toBe(false);
  }, 30_000);

  it('a fully cached run needs no session: a mismatched one is never asked to serve', async () => {
    rig = await startRig({ provider: 'emulator' });
    project = await createProject(EMULATOR_RECIPE);
    expect(summaryOf(await runIn(project, {}, { rig }))).toMatchObject({ exitCode: 0, submitted: 1 });
    const other = await startRig({ provider: 'runcomfy' });
    try {
      const rt = testRuntime(project.root);
      const again = await runRecipe(project.recipe, { jobs: 2 }, { rt, onEvent: () => {}, session: other.session });
      expect(again.kind === 'run' && again.summary).toMatchObject({ exitCode: 0, submitted: 0, cached: 1 });
      expect(other.submits()).toHaveLength(0);
    } finally {
      await other.close();
    }
  }, 30_000);
});
