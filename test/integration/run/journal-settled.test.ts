/**
 * A journal entry left behind after its result was recorded and locked (a kill -9 between the
 * lock write and the entry's removal): the lock names the same key and request id, so it is not
 * in flight. The next run removes it, and `--force` submits anew instead of re-attaching to the
 * old request. An entry the lock does not prove finished stays.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../../src/index.js';
import { buildPlan } from '../../../src/plan/index.js';
import { loadRecipe } from '../../../src/recipe/load.js';
import { dropSettledEntries } from '../../../src/run/journal-settled.js';
import { prepareRun } from '../../../src/run/prepare.js';
import { openStore } from '../../../src/store/index.js';
import type { JournalEntry, Store } from '../../../src/store/types.js';
import {
  createProject,
  testRuntime,
  recipeYaml,
  runIn,
  startRig,
  summaryOf,
  type Project,
  type Rig,
} from '../../helpers/run-fixtures.js';
import { runcomfyAt } from '../../helpers/run-children.js';

const BG = 'Keep the face unchanged. Replace the background with a rainy street.';

let project: Project | undefined;
let rig: Rig | undefined;
let emulator: EmulatorHandle | undefined;
afterEach(async () => {
  await rig?.close();
  await emulator?.close();
  emulator = undefined;
  await project?.cleanup();
  rig = undefined;
  project = undefined;
});

/** What the killed run's journal held for the node: its locked request, with the lock's fields. */
async function leaveEntry(p: Project, requestId?: string): Promise<JournalEntry> {
  const locked = (await p.readLock()).nodes['background'];
  if (!locked) throw new Error('no lock entry');
  const entry: JournalEntry = {
    key: locked.key,
    node: 'background',
    provider: locked.provider,
    model: locked.model,
    seed: locked.seed,
    input_sha256: locked.input_sha256,
    request_id: requestId ?? locked.request_id,
    pid: 999_999_999,
    submitted_at: locked.finished_at,
  };
  await (await openStore(p.cacheDir)).journal.add(entry);
  return entry;
}

async function journal(p: Project): Promise<JournalEntry[]> {
  return (await openStore(p.cacheDir)).journal.list();
}

describe('a journal entry whose request the lock already holds', () => {
  it('is removed by the next run, which pays nothing', async () => {
    project = await createProject(recipeYaml([['background', BG]]));
    rig = await startRig();
    expect(summaryOf(await runIn(project, {}, { rig }))).toMatchObject({ done: 1, exitCode: 0 });
    await leaveEntry(project);
    const submits = rig.submits().length;
    expect(summaryOf(await runIn(project, {}, { rig }))).toMatchObject({ cached: 1, exitCode: 0 });
    expect(rig.submits().length).toBe(submits);
    expect(await journal(project)).toEqual([]);
  });

  it('does not make --force re-attach to the old request: it submits anew', async () => {
    project = await createProject(recipeYaml([['background', BG]]));
    rig = await startRig();
    expect(summaryOf(await runIn(project, {}, { rig }))).toMatchObject({ done: 1, exitCode: 0 });
    await leaveEntry(project);
    const submits = rig.submits().length;
    const forced = await runIn(project, { force: ['background'] }, { rig });
    expect(summaryOf(forced)).toMatchObject({ done: 1, submitted: 1, exitCode: 0 });
    expect(rig.submits().length).toBe(submits + 1);
    // The same seed gives the same bytes here, so the lock entry (same key, same output) stays as it was.
    expect(await journal(project)).toEqual([]);
  });

  it('an entry for another request of the same key is left alone (it may be in flight)', async () => {
    project = await createProject(recipeYaml([['background', BG]]));
    rig = await startRig();
    expect(summaryOf(await runIn(project, {}, { rig }))).toMatchObject({ done: 1, exitCode: 0 });
    const other = await leaveEntry(project, 'another-request');
    expect(summaryOf(await runIn(project, {}, { rig }))).toMatchObject({ cached: 1, exitCode: 0 });
    expect(await journal(project)).toEqual([other]);
  });
});

describe('a run lists the journal folder once', () => {
  it("prepare's listing is the one the clean-up of finished entries uses", async () => {
    project = await createProject(recipeYaml([['background', BG]]));
    rig = await startRig();
    expect(summaryOf(await runIn(project, {}, { rig }))).toMatchObject({ done: 1, exitCode: 0 });
    const entry = await leaveEntry(project);
    const real = await openStore(project.cacheDir);
    let lists = 0;
    const journal: Store['journal'] = {
      ...real.journal,
      list: () => {
        lists++;
        return real.journal.list();
      },
    };
    const store: Store = { ...real, journal };
    const lock = await project.readLock();
    const plan = buildPlan(await loadRecipe(project.recipe, { rt: testRuntime(project.root) }));
    const prepared = await prepareRun(
      plan,
      { store, providerName: 'emulator', lock, draw: () => 1, self: testRuntime(project.root) },
      { only: undefined, force: undefined, reseed: undefined },
    );
    expect(prepared.journal).toEqual([entry]);
    const self = { pid: process.pid, isAlive: () => false, run: '' };
    const left = await dropSettledEntries(store, lock, prepared.journal, self);
    expect(lists).toBe(1);
    expect(left.size).toBe(0);
    expect(await real.journal.list()).toEqual([]);
  });
});

describe("a dead run's intent without a request id, for a key the lock holds", () => {
  /** A RunComfy project run once (a dead run's intent there is maybe paid), an intent `offsetMs` from its finish. */
  async function lockedThenIntent(offsetMs: number): Promise<{ env: Record<string, string>; entry: JournalEntry }> {
    emulator = await startEmulator({ queueMs: 10, runMs: 20 });
    const env = runcomfyAt(emulator);
    project = await createProject(
      recipeYaml([['background', BG]], ['hosting: { mode: inline }']).replace(
        'provider: emulator',
        'provider: runcomfy',
      ),
    );
    expect(summaryOf(await runIn(project, {}, { env }))).toMatchObject({ done: 1, exitCode: 0 });
    const locked = (await project.readLock()).nodes['background'];
    if (!locked) throw new Error('no lock entry');
    const { request_id: _id, ...intent } = { ...(await leaveEntry(project)), run: 'dead-run' };
    const entry: JournalEntry = {
      ...intent,
      submitted_at: new Date(Date.parse(locked.finished_at) + offsetMs).toISOString(),
    };
    const store = await openStore(project.cacheDir);
    await store.journal.remove(entry.key);
    await store.journal.add(entry);
    return { env, entry };
  }

  const submits = (): number =>
    (emulator?.requestLog() ?? []).filter((e) => e.method === 'POST' && e.status === 200).length;

  it('stamped before that request finished: still maybe paid, kept, and --force stops on it (review-s)', async () => {
    // An intent is stamped before its claim, and a forced node's claim waits for another run's entry
    // to go (after that run locked its request): the time proves nothing, and its submit may be paid.
    const { env, entry } = await lockedThenIntent(-1_000);
    expect(summaryOf(await runIn(project as Project, {}, { env }))).toMatchObject({ cached: 1, exitCode: 0 });
    expect(await journal(project as Project)).toEqual([entry]);
    const paid = submits();
    const forced = await runIn(project as Project, { force: ['background'] }, { env });
    expect(summaryOf(forced)).toMatchObject({ exitCode: 75, uncertain: ['background'] });
    expect(submits()).toBe(paid);
  });

  it('written after it (a killed --force): maybe paid, kept, and --force stops on it', async () => {
    const { env, entry } = await lockedThenIntent(1_000);
    expect(summaryOf(await runIn(project as Project, {}, { env }))).toMatchObject({ cached: 1, exitCode: 0 });
    expect(await journal(project as Project)).toEqual([entry]);
    const paid = submits();
    const forced = await runIn(project as Project, { force: ['background'] }, { env });
    expect(summaryOf(forced)).toMatchObject({ exitCode: 75, uncertain: ['background'] });
    expect(submits()).toBe(paid);
  });
});
