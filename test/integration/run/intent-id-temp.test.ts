/**
 * kill -9 with a paid request's id complete in the journal's temp, not yet renamed over the claim's
 * intent (walk-k: half the "maybe paid" stops of a random kill fuzz were this; the next run stopped
 * with exit 75, and `--resubmit-uncertain` paid a second time). The built CLI killed at that point
 * by its test hook, against a standalone emulator whose request log counts what was paid for:
 * `status` and the next run find the id in the dead run's temp and re-attach, paying nothing;
 * `kontext gc` meanwhile keeps the temp (its entry is still there), and removes it once the
 * entry is gone.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gcCache, recipeStatus, startEmulator, type EmulatorHandle } from '../../../src/index.js';
import { ensureBuilt } from '../../helpers/cli-spawn.js';
import { journalEntries } from '../../helpers/journal-files.js';
import { runChildren, runcomfyAt } from '../../helpers/run-children.js';
import {
  createProject,
  lockMatchesFiles,
  recipeYaml,
  runIn,
  summaryOf,
  testRuntime,
  type Project,
} from '../../helpers/run-fixtures.js';

const PROMPT = 'Keep the face unchanged. Make the sky orange.';

let emulator: EmulatorHandle | undefined;
let project: Project | undefined;
const children = runChildren();

beforeAll(ensureBuilt, 180_000);
afterEach(async () => {
  children.killAll();
  await emulator?.close();
  await project?.cleanup();
  emulator = undefined;
  project = undefined;
});

const submits = (em: EmulatorHandle): number =>
  em.requestLog().filter((e) => !e.internal && e.method === 'POST' && e.body?.['prompt'] === PROMPT).length;
const temps = async (p: Project): Promise<string[]> =>
  (await readdir(join(p.cacheDir, 'journal'))).filter((n) => n.endsWith('.tmp'));

/** A run killed by its test hook with the request id in the journal's temp, not yet renamed over its intent. */
async function killedWithIdInTemp(): Promise<{ em: EmulatorHandle; env: Record<string, string>; p: Project }> {
  emulator = await startEmulator({ queueMs: 20, runMs: 150 });
  const em = emulator;
  const env = runcomfyAt(em);
  const p = (project = await createProject(
    recipeYaml([['sky', PROMPT]], ['hosting: { mode: inline }']).replace('provider: emulator', 'provider: runcomfy'),
  ));
  const child = children.spawn(['run', p.recipe, '--json'], p, {
    ...env,
    KONTEXT_TEST_HOOKS: '1',
    KONTEXT_TEST_CRASH_AT: 'request-id-temp-written',
  });
  expect((await child.done).signal, child.output()).toBe('SIGKILL');
  return { em, env, p };
}

describe('kill -9 with the request id in its temp, not yet in the journal entry', () => {
  it('the next run re-attaches to the paid request (no second submit); gc keeps the temp until then', async () => {
    const { em, env, p } = await killedWithIdInTemp();
    expect(submits(em)).toBe(1);
    // On disk: the intent without its id, and beside it the temp holding it.
    expect((await journalEntries(p.cacheDir)).map((e) => e.request_id)).toEqual([undefined]);
    expect(await temps(p)).toHaveLength(1);

    const rt = testRuntime(p.root, env);
    const status = await recipeStatus(p.recipe, {}, { rt });
    expect(status.nodes.map((n) => [n.node, n.state, n.reason, n.claim])).toEqual([
      ['sky', 'will-run', 'reattach', 'attach'],
    ]);
    // gc (its entry still there): the temp is kept.
    await gcCache({ cacheDir: p.cacheDir, olderThanMs: 0 }, { rt });
    expect(await temps(p)).toHaveLength(1);

    const rerun = await runIn(p, {}, { env });
    expect(summaryOf(rerun)).toMatchObject({ exitCode: 0, failed: 0, uncertain: [] });
    expect(submits(em)).toBe(1);
    expect(Object.keys((await p.readLock()).nodes)).toEqual(['sky']);
    expect((await lockMatchesFiles(p)).every((r) => r.ok)).toBe(true);
    expect(await journalEntries(p.cacheDir)).toEqual([]);
    // The entry gone: the dead writer's temp is gc's.
    await gcCache({ cacheDir: p.cacheDir, olderThanMs: 0 }, { rt });
    expect(await temps(p)).toEqual([]);
  }, 60_000);

  it('a clock stepped back between an intent and its request id: still its temp, re-attached (walk-ae 6)', async () => {
    const { em, env, p } = await killedWithIdInTemp();
    // The temp dated an hour before its intent, as a clock stepped back meanwhile dates it.
    const [name] = await temps(p);
    const path = join(p.cacheDir, 'journal', name as string);
    const temp = JSON.parse(await readFile(path, 'utf8')) as { submitted_at: string };
    const earlier = new Date(Date.parse(temp.submitted_at) - 3_600_000).toISOString();
    await writeFile(path, JSON.stringify({ ...temp, submitted_at: earlier }));

    const status = await recipeStatus(p.recipe, {}, { rt: testRuntime(p.root, env) });
    expect(status.nodes.map((n) => [n.node, n.reason])).toEqual([['sky', 'reattach']]);
    const rerun = await runIn(p, {}, { env });
    expect(summaryOf(rerun)).toMatchObject({ exitCode: 0, failed: 0, uncertain: [] });
    expect(submits(em)).toBe(1);
  }, 60_000);
});
