/**
 * A `--reseed` run interrupted while its request runs: the request is paid for and stays in the
 * journal, and the summary says the next run re-attaches to it. The lock still holds the node's
 * old seed, so the next run must key the node by the journal's seed (the one that was paid for),
 * not the lock's: else the lock keeps the old result, the paid one is never downloaded, and only
 * another `--reseed`, paying again, moves the node on.
 *
 * A `--force` run interrupted the same way (walk-r 2): a forced node keeps its seed, so its paid
 * request has the key the lock already names. The next plain run finds the node up to date and
 * never re-attaches; it says so, with the command that collects the request at no new charge
 * (`--force` of the node), and that command indeed submits nothing.
 */
import { rm, symlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runRecipe, type RunEvent } from '../../../src/index.js';
import { openStore } from '../../../src/store/index.js';
import type { JournalEntry, LockEntry } from '../../../src/store/types.js';
import {
  createProject,
  eventsOf,
  recipeYaml,
  runIn,
  startRig,
  summaryOf,
  testRuntime,
  until,
  type Project,
  type Rig,
} from '../../helpers/run-fixtures.js';

const SKY = 'Keep the face unchanged. Make the sky orange.';
const HAT = 'Keep the face unchanged. Add a red hat.';

let project: Project | undefined;
let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  await project?.cleanup();
  rig = undefined;
  project = undefined;
});

/**
 * The held request finishes once the next run has read it (so it re-attaches while the request
 * still runs, as after a real stop), not after a fixed run time.
 */
function releaseOnNextRead(r: Rig, release: () => void): void {
  const from = r.calls().length;
  const read = (): boolean =>
    r
      .calls()
      .slice(from)
      .some((c) => c.method === 'GET' && c.path.startsWith('/v1/requests/'));
  void until(read, 20_000, 'a read of the held request').then(release, release);
}

/** A first run, then a `--reseed` run of node a interrupted while its request runs: the journal's entry. */
async function reseedInterrupted(p: Project, r: Rig): Promise<{ before?: LockEntry; entry?: JournalEntry }> {
  const first = await runIn(p, {}, { rig: r });
  expect(summaryOf(first)).toMatchObject({ exitCode: 0, done: 1 });
  const before = (await p.readLock()).nodes['a'];
  r.emulator.setScenario({ queue_ms: 0 });
  // Its request runs until released, whenever the run is stopped.
  const release = r.emulator.hold('running');
  const stop = new AbortController();
  const onEvent = (e: RunEvent): void => {
    if (e.type === 'node-state' && e.phase === 'running') stop.abort();
  };
  const reseeded = await runRecipe(
    p.recipe,
    { jobs: 1, reseed: ['a'], signal: stop.signal },
    { rt: testRuntime(p.root, {}, 7), onEvent, session: r.session },
  );
  expect(reseeded.kind === 'run' && reseeded.summary.outcomeUnknown).toEqual(['a']);
  const [entry, ...more] = await (await openStore(p.cacheDir)).journal.list();
  expect(more).toEqual([]);
  expect(entry?.seed).not.toBe(before?.seed);
  expect(r.submits()).toHaveLength(2);
  releaseOnNextRead(r, release);
  r.emulator.setScenario({});
  return { before, entry };
}

describe('a --reseed run interrupted while its request runs', () => {
  it('the next run re-attaches to that paid request (its seed), rather than keeping the lock', async () => {
    project = await createProject(recipeYaml([['a', SKY]]));
    rig = await startRig();
    const { entry } = await reseedInterrupted(project, rig);

    const next = await runIn(project, {}, { rig });
    expect(summaryOf(next)).toMatchObject({ exitCode: 0, done: 1, submitted: 0 });
    expect(eventsOf(next.events, 'node-start')[0]).toMatchObject({ node: 'a', reason: 'reattach' });
    expect(rig.submits()).toHaveLength(2);
    const after = (await project.readLock()).nodes['a'];
    expect([after?.seed, after?.request_id]).toEqual([entry?.seed, entry?.request_id]);
    expect(await (await openStore(project.cacheDir)).journal.list()).toEqual([]);
  });

  it("made on a clock behind the lock's: re-attached all the same, by the entry it replaces (walk-ae 2)", async () => {
    project = await createProject(recipeYaml([['a', SKY]]));
    rig = await startRig();
    const { before, entry } = await reseedInterrupted(project, rig);
    if (!entry || !before) throw new Error('no journal entry');
    expect(entry.replaces).toBe(before.request_id);
    // As a machine whose clock runs 2 h behind the one that wrote the lock's entry writes it.
    const skewed = { ...entry, submitted_at: new Date(Date.parse(before.finished_at) - 7_200_000).toISOString() };
    await (await openStore(project.cacheDir)).journal.add(skewed);
    const next = await runIn(project, {}, { rig });
    expect(summaryOf(next)).toMatchObject({ exitCode: 0, done: 1, submitted: 0 });
    expect(eventsOf(next.events, 'node-start')[0]).toMatchObject({ node: 'a', reason: 'reattach' });
    const after = (await project.readLock()).nodes['a'];
    expect([after?.seed, after?.request_id]).toEqual([entry.seed, entry.request_id]);
  });

  it("an older kontext's entry (without the lock entry it replaces): still re-attached when newer", async () => {
    project = await createProject(recipeYaml([['a', SKY]]));
    rig = await startRig();
    const { entry } = await reseedInterrupted(project, rig);
    if (!entry) throw new Error('no journal entry');
    await (await openStore(project.cacheDir)).journal.add({ ...entry, replaces: undefined });
    const next = await runIn(project, {}, { rig });
    expect(summaryOf(next)).toMatchObject({ exitCode: 0, done: 1, submitted: 0 });
    expect((await project.readLock()).nodes['a']?.request_id).toBe(entry.request_id);
  });

  it("another recipe's request for the same node (its lock, not this one) leaves this lock's seed alone", async () => {
    project = await createProject(recipeYaml([['a', SKY]]));
    rig = await startRig();
    const { before, entry } = await reseedInterrupted(project, rig);
    if (!entry) throw new Error('no journal entry');
    const journal = (await openStore(project.cacheDir)).journal;
    const foreign = { ...entry, lock: `${project.root}/elsewhere/other.lock.json` };
    await journal.add(foreign);
    const next = await runIn(project, {}, { rig });
    expect(summaryOf(next)).toMatchObject({ exitCode: 0, cached: 1, submitted: 0 });
    expect((await project.readLock()).nodes['a']?.seed).toBe(before?.seed);
    expect(await journal.list()).toEqual([foreign]);
  });

  it("a new node keeps its derived seed beside another recipe's journaled request of its id (walk-q)", async () => {
    // The other recipe's request asks something else (its key): nothing to re-attach to here, and
    // taking its seed changed this node's key, so a machine without that entry paid again.
    project = await createProject(recipeYaml([['a', SKY]]));
    rig = await startRig();
    const journal = (await openStore(project.cacheDir)).journal;
    const foreign: JournalEntry = {
      key: 'f'.repeat(64),
      node: 'a',
      provider: 'emulator',
      model: 'blackforestlabs/flux-1-kontext/pro/edit',
      seed: 12345,
      input_sha256: 'e'.repeat(64),
      request_id: 'req-of-another-recipe',
      submitted_at: new Date().toISOString(),
      lock: join(project.root, 'elsewhere', 'other.lock.json'),
    };
    await journal.add(foreign);
    const run = await runIn(project, {}, { rig });
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 1, submitted: 1 });
    // The seed every machine derives for it: a clean project with no such entry gets the same.
    const clean = await createProject(recipeYaml([['a', SKY]]));
    try {
      expect(summaryOf(await runIn(clean, {}, { rig }))).toMatchObject({ exitCode: 0 });
      expect((await project.readLock()).nodes['a']?.seed).toBe((await clean.readLock()).nodes['a']?.seed);
      expect((await project.readLock()).nodes['a']?.seed).not.toBe(12345);
    } finally {
      await clean.cleanup();
    }
    expect(await journal.list()).toEqual([foreign]);
  });

  it('a --reseed that completes after it wins: the older paid request does not come back over the lock', async () => {
    project = await createProject(recipeYaml([['a', SKY]]));
    rig = await startRig();
    await reseedInterrupted(project, rig);
    const again = await runIn(project, { reseed: ['a'] }, { rig, seed: 8 });
    expect(summaryOf(again)).toMatchObject({ exitCode: 0, done: 1 });
    const latest = (await project.readLock()).nodes['a'];
    const next = await runIn(project, {}, { rig });
    expect(summaryOf(next)).toMatchObject({ exitCode: 0, cached: 1, submitted: 0 });
    expect((await project.readLock()).nodes['a']).toEqual(latest);
  });
});

describe("an interrupted --reseed's request that cannot be had any more", () => {
  for (const lost of ['gone at the API', 'its output lost'] as const) {
    it(`${lost}: a plain run pays nothing, drops it once (exit 75), then keeps the lock's result`, async () => {
      project = await createProject(recipeYaml([['a', SKY]]));
      rig = await startRig();
      const { before, entry } = await reseedInterrupted(project, rig);
      if (!entry) throw new Error('no journal entry');
      if (lost === 'gone at the API') {
        // The service no longer knows the id (its own JSON 404001): expired, say.
        await (await openStore(project.cacheDir)).journal.add({ ...entry, request_id: 'lost-request-0001' });
      } else {
        rig.emulator.setScenario({ faults: [{ kind: 'html-download' }] });
      }
      const next = await runIn(project, {}, { rig });
      expect(summaryOf(next)).toMatchObject({ exitCode: 75, failed: 1, submitted: 0 });
      expect(eventsOf(next.events, 'node-failed')[0]).toMatchObject({ node: 'a', code: 'E_RESEED_LOST' });
      expect(rig.submits()).toHaveLength(2);
      expect(await (await openStore(project.cacheDir)).journal.list()).toEqual([]);

      rig.emulator.setScenario({});
      const after = await runIn(project, {}, { rig });
      expect(summaryOf(after)).toMatchObject({ exitCode: 0, failed: 0, submitted: 0 });
      expect(rig.submits()).toHaveLength(2);
      expect((await project.readLock()).nodes['a']).toEqual(before);
    });
  }
});

describe('a prompt change interrupted while its request runs (no --reseed)', () => {
  it('its request lost at the API: the node runs anew, not E_RESEED_LOST (walk-q)', async () => {
    project = await createProject(recipeYaml([['a', SKY]]));
    rig = await startRig();
    expect(summaryOf(await runIn(project, {}, { rig }))).toMatchObject({ exitCode: 0, done: 1 });
    const before = (await project.readLock()).nodes['a'];
    await project.writeRecipe(recipeYaml([['a', 'Keep the face unchanged. Make the sky green.']]));
    rig.emulator.setScenario({ queue_ms: 0 });
    // Its request runs until released, whenever the run is stopped.
    const release = rig.emulator.hold('running');
    const stop = new AbortController();
    const onEvent = (e: RunEvent): void => {
      if (e.type === 'node-state' && e.phase === 'running') stop.abort();
    };
    await runRecipe(
      project.recipe,
      { jobs: 1, signal: stop.signal },
      { rt: testRuntime(project.root, {}, 7), onEvent, session: rig.session },
    );
    const journal = (await openStore(project.cacheDir)).journal;
    const [entry] = await journal.list();
    expect(entry?.seed).toBe(before?.seed);
    // The service no longer knows the id (expired, say).
    if (entry) await journal.add({ ...entry, request_id: 'lost-request-0002' });
    releaseOnNextRead(rig, release);
    rig.emulator.setScenario({});
    const next = await runIn(project, {}, { rig });
    expect(eventsOf(next.events, 'node-failed').map((e) => e.code)).not.toContain('E_RESEED_LOST');
    const after = await runIn(project, {}, { rig });
    expect(summaryOf(after)).toMatchObject({ exitCode: 0 });
    expect((await project.readLock()).nodes['a']?.request_id).not.toBe(before?.request_id);
  });
});

describe("the interrupted --reseed's request found among others", () => {
  it("another recipe's newer request for a node of the same id does not hide this recipe's own", async () => {
    project = await createProject(recipeYaml([['a', SKY]]));
    rig = await startRig();
    const { entry } = await reseedInterrupted(project, rig);
    if (!entry) throw new Error('no journal entry');
    const journal = (await openStore(project.cacheDir)).journal;
    const later = new Date(Date.parse(entry.submitted_at) + 60_000).toISOString();
    const foreign = {
      ...entry,
      key: 'f'.repeat(64),
      seed: entry.seed + 1,
      request_id: 'req-of-another-recipe',
      lock: `${project.root}/elsewhere/other.lock.json`,
      submitted_at: later,
    };
    await journal.add(foreign);
    const next = await runIn(project, {}, { rig });
    expect(summaryOf(next)).toMatchObject({ exitCode: 0, done: 1, submitted: 0 });
    const after = (await project.readLock()).nodes['a'];
    expect([after?.seed, after?.request_id]).toEqual([entry.seed, entry.request_id]);
    expect(await journal.list()).toEqual([foreign]);
  });

  it('the recipe named through a link to its folder: the same lock, its request re-attached', async () => {
    project = await createProject(recipeYaml([['a', SKY]]));
    rig = await startRig();
    const { entry } = await reseedInterrupted(project, rig);
    const link = `${project.root}-link`;
    await symlink(project.root, link);
    try {
      const events: RunEvent[] = [];
      const via = await runRecipe(
        join(link, basename(project.recipe)),
        { jobs: 1 },
        { rt: testRuntime(link, {}, 9), onEvent: (e) => events.push(e), session: rig.session },
      );
      expect(via.kind === 'run' && via.summary).toMatchObject({ exitCode: 0, done: 1, submitted: 0 });
      const after = (await project.readLock()).nodes['a'];
      expect([after?.seed, after?.request_id]).toEqual([entry?.seed, entry?.request_id]);
    } finally {
      await rm(link, { force: true });
    }
  });
});

describe('a --force run interrupted while its request runs', () => {
  it('the next plain run names the paid request and --force collects it without a new submit', async () => {
    project = await createProject(
      recipeYaml([
        ['a', SKY],
        ['b', HAT, 'from: a'],
      ]),
    );
    rig = await startRig();
    expect(summaryOf(await runIn(project, {}, { rig }))).toMatchObject({ exitCode: 0, done: 2 });
    const before = (await project.readLock()).nodes['a'];
    rig.emulator.setScenario({ queue_ms: 0 });
    // Its request runs until released, whenever the run is stopped.
    const release = rig.emulator.hold('running');
    const stop = new AbortController();
    const onEvent = (e: RunEvent): void => {
      if (e.type === 'node-state' && e.phase === 'running') stop.abort();
    };
    const forced = await runRecipe(
      project.recipe,
      { jobs: 1, only: ['a'], force: ['a'], signal: stop.signal },
      { rt: testRuntime(project.root, {}, 7), onEvent, session: rig.session },
    );
    expect(forced.kind === 'run' && forced.summary.outcomeUnknown).toEqual(['a']);
    const [entry] = await (await openStore(project.cacheDir)).journal.list();
    expect(entry?.request_id).toBeDefined();
    expect(entry?.request_id).not.toBe(before?.request_id);
    expect(rig.submits()).toHaveLength(3);
    releaseOnNextRead(rig, release);
    rig.emulator.setScenario({});

    const plain = await runIn(project, {}, { rig });
    expect(summaryOf(plain)).toMatchObject({ exitCode: 0, submitted: 0 });
    const notices = eventsOf(plain.events, 'notice').map((e) => e.message);
    expect(notices).toContainEqual(expect.stringContaining(`not collected: a (request ${entry?.request_id})`));
    expect(notices).toContainEqual(expect.stringContaining('--force a collects them at no new charge while the'));
    // Not promised once the provider lost it: then --force pays anew (review-y 1).
    expect(notices).toContainEqual(expect.stringContaining('once gone, --force submits anew and pays'));
    expect(await (await openStore(project.cacheDir)).journal.list()).toHaveLength(1);

    const collect = await runIn(project, { only: ['a'], force: ['a'] }, { rig });
    expect(summaryOf(collect)).toMatchObject({ exitCode: 0, done: 1, submitted: 0 });
    expect(rig.submits()).toHaveLength(3);
    expect(eventsOf(collect.events, 'node-done')[0]?.request_id).toBe(entry?.request_id);
    expect(await (await openStore(project.cacheDir)).journal.list()).toEqual([]);
    // The emulator draws the same image for the same seed: the lock keeps its entry, b stays cached.
    const again = await runIn(project, {}, { rig });
    expect(summaryOf(again)).toMatchObject({ exitCode: 0, submitted: 0 });
    expect(eventsOf(again.events, 'notice')).toEqual([]);
  });
});
