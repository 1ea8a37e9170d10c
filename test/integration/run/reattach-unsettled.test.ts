/**
 * A journaled (paid) request whose outcome a run cannot settle stays in the journal, and the node
 * fails with E_OUTCOME_UNKNOWN (exit 75) instead of being paid for again — in-process runs on a
 * standalone emulator (the RunComfy client), whose scenarios play the glitches:
 * - a 404 that is not the service's own word (a proxy's HTML page, an empty body) on the status
 *   and result reads, for a fresh request and on re-attach; the emulator's own "unknown request"
 *   (JSON, error_code 404001) still submits anew, and so does `--resubmit-uncertain`;
 * - a result that says finished without an output URL: read again within the run; still without
 *   one, the next run downloads it with no new submit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ScenarioInput } from '../../../src/emulator/index.js';
import { openStore } from '../../../src/store/index.js';
import type { JournalEntry } from '../../../src/store/types.js';
import {
  createProject,
  eventsOf,
  lockMatchesFiles,
  recipeYaml,
  runIn,
  startRig,
  summaryOf,
  type InProcessRun,
  type Project,
  type Rig,
} from '../../helpers/run-fixtures.js';

const BG = 'Keep the face unchanged. Replace the background with a rainy street.';
const FAST_REREADS = { outputRereadMs: [20, 20] };

let project: Project | undefined;
let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  await project?.cleanup();
  rig = undefined;
  project = undefined;
});

async function journal(p: Project): Promise<JournalEntry[]> {
  return (await openStore(p.cacheDir)).journal.list();
}

/** Every status and result read answers 404 with this body. */
function proxy404(body: 'html' | 'empty'): ScenarioInput {
  return {
    faults: [
      { kind: 'http', on: 'status', status: 404, body },
      { kind: 'http', on: 'result', status: 404, body },
    ],
  };
}

/**
 * The run's summary lists `nodes` as paid with an unknown outcome (apart from `uncertain`, the
 * submits without a request id), in the result, the `--json` event and a closing warning.
 */
function expectOutcomeUnknown(run: InProcessRun, nodes: string[]): void {
  expect(summaryOf(run)).toMatchObject({ outcomeUnknown: nodes, uncertain: [] });
  const [event] = eventsOf(run.events, 'run-summary');
  expect(event?.outcome_unknown).toEqual(nodes);
  expect(event?.uncertain).toBeUndefined();
  const warned = eventsOf(run.events, 'warning').map((e) => e.message);
  const said = `paid (or maybe), outcome unknown: ${nodes.join(', ')} (their request ids stay in the journal)`;
  expect(warned.filter((m) => m.startsWith(said) && m.includes('--resubmit-uncertain'))).toHaveLength(1);
}

function failure(run: InProcessRun) {
  const [failed] = eventsOf(run.events, 'node-failed');
  return failed;
}

/** A run whose one node was paid for and left journaled by a proxy's 404 (exit 75). */
async function journaledBehindProxy(): Promise<{ project: Project; rig: Rig; entry: JournalEntry }> {
  const p = await createProject(recipeYaml([['background', BG]]));
  const r = await startRig({ scenario: proxy404('html') });
  project = p;
  rig = r;
  const run = await runIn(p, FAST_REREADS, { rig: r });
  expect(summaryOf(run)).toMatchObject({ exitCode: 75, failed: 1, submitted: 1 });
  expect(failure(run)).toMatchObject({ code: 'E_OUTCOME_UNKNOWN', exit_code: 75 });
  expectOutcomeUnknown(run, ['background']);
  expect(failure(run)?.message).toMatch(/may still run and be paid for/);
  expect(failure(run)?.hint).toMatch(/--resubmit-uncertain/);
  const [entry, ...more] = await journal(p);
  expect(more).toEqual([]);
  expect(entry?.request_id).toBeDefined();
  if (!entry) throw new Error('no journal entry');
  return { project: p, rig: r, entry };
}

describe('a 404 on a paid request that the service did not send', () => {
  it('keeps the journal and pays nothing, fresh or re-attached; once reads work, it is downloaded', async () => {
    const { project: p, rig: r, entry } = await journaledBehindProxy();
    r.emulator.setScenario(proxy404('empty'));
    const again = await runIn(p, FAST_REREADS, { rig: r });
    expect(summaryOf(again)).toMatchObject({ exitCode: 75, failed: 1, submitted: 0 });
    expect(eventsOf(again.events, 'node-state').some((e) => e.phase === 'reattaching')).toBe(true);
    expect(failure(again)).toMatchObject({ code: 'E_OUTCOME_UNKNOWN' });
    expectOutcomeUnknown(again, ['background']);
    expect(await journal(p)).toEqual([entry]);

    r.emulator.setScenario({});
    const healed = await runIn(p, FAST_REREADS, { rig: r });
    expect(summaryOf(healed)).toMatchObject({ exitCode: 0, done: 1, submitted: 0, outcomeUnknown: [] });
    expect(eventsOf(healed.events, 'run-summary')[0]?.outcome_unknown).toBeUndefined();
    expect(r.submits()).toHaveLength(1);
    expect((await p.readLock()).nodes['background']?.request_id).toBe(entry.request_id);
    expect((await lockMatchesFiles(p)).every((x) => x.ok)).toBe(true);
    expect(await journal(p)).toEqual([]);
  });

  it("the service's own unknown-request reply (JSON 404001) still submits anew", async () => {
    const { project: p, rig: r, entry } = await journaledBehindProxy();
    // The service lost the request: the id the journal holds is unknown to it.
    await (await openStore(p.cacheDir)).journal.add({ ...entry, request_id: 'lost-request-0001' });
    r.emulator.setScenario({});
    const run = await runIn(p, FAST_REREADS, { rig: r });
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 1, submitted: 1 });
    expect(r.submits()).toHaveLength(2);
    expect(await journal(p)).toEqual([]);
  });

  it.each([1, 2])(
    "a status that says finished and a result read answering the service's unknown-request %i time(s): not paid again",
    async (times) => {
      const { project: p, rig: r, entry } = await journaledBehindProxy();
      // The request is known (its status says completed); its result read glitches with the JSON 404001.
      r.emulator.setScenario({ faults: [{ kind: 'http', on: 'result', status: 404, error_code: 404001, times }] });
      const run = await runIn(p, FAST_REREADS, { rig: r });
      expect(r.submits()).toHaveLength(1);
      expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 1, submitted: 0 });
      expect((await p.readLock()).nodes['background']?.request_id).toBe(entry.request_id);
      expect(await journal(p)).toEqual([]);
    },
  );

  it('one such 404 on a read is read again: the request taken, none submitted (--resubmit-uncertain too)', async () => {
    const { project: p, rig: r, entry } = await journaledBehindProxy();
    // Only the re-attach's first read (nothing finished yet, so the client reads status first).
    r.emulator.setScenario({ faults: [{ kind: 'http', on: 'status', status: 404, body: 'html', nth: 1 }] });
    const run = await runIn(p, { ...FAST_REREADS, resubmitUncertain: true }, { rig: r });
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 1, submitted: 0 });
    expect(r.submits()).toHaveLength(1);
    expect((await p.readLock()).nodes['background']?.request_id).toBe(entry.request_id);
    expect(await journal(p)).toEqual([]);
  });

  it('--resubmit-uncertain gives such a request up and submits it again, with a warning', async () => {
    const { project: p, rig: r, entry } = await journaledBehindProxy();
    // The re-attach's reads, the first and its re-reads (nothing finished yet, so the client reads status first).
    r.emulator.setScenario({
      faults: [
        {
          kind: 'http',
          on: 'status',
          status: 404,
          body: 'html',
          nth: 1,
          times: 1 + FAST_REREADS.outputRereadMs.length,
        },
      ],
    });
    const run = await runIn(p, { ...FAST_REREADS, resubmitUncertain: true }, { rig: r });
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 1, submitted: 1 });
    expect(r.submits()).toHaveLength(2);
    const warned = eventsOf(run.events, 'warning').map((e) => e.message);
    expect(warned.some((m) => m.includes('--resubmit-uncertain: submitting it again'))).toBe(true);
    expect((await p.readLock()).nodes['background']?.request_id).not.toBe(entry.request_id);
    expect(await journal(p)).toEqual([]);
  });
});

describe('a 4xx on a read of a paid request', () => {
  /** Every status and result read answers `status` with the API's own JSON body. */
  const refusedReads = (status: number, error_code?: number): ScenarioInput => ({
    faults: (['status', 'result'] as const).map((on) => ({ kind: 'http' as const, on, status, error_code })),
  });

  it.each([
    [401, undefined],
    [403, undefined],
    [400, 400004],
  ])(
    '%i (error_code %s): the token was refused: exit 77, journal kept, listed; the next run downloads it',
    async (status, code) => {
      project = await createProject(recipeYaml([['background', BG]]));
      rig = await startRig({ scenario: refusedReads(status, code) });
      const run = await runIn(project, FAST_REREADS, { rig });
      expect(summaryOf(run)).toMatchObject({ exitCode: 77, failed: 1, submitted: 1 });
      expect(failure(run)).toMatchObject({ code: 'E_AUTH', exit_code: 77 });
      expect(failure(run)?.hint).toMatch(/RUNCOMFY_TOKEN/);
      expectOutcomeUnknown(run, ['background']);
      const [entry, ...more] = await journal(project);
      expect([entry?.request_id, more]).toEqual([expect.any(String), []]);

      rig.emulator.setScenario({});
      const next = await runIn(project, FAST_REREADS, { rig });
      expect(summaryOf(next)).toMatchObject({ exitCode: 0, done: 1, submitted: 0, outcomeUnknown: [] });
      expect((await project.readLock()).nodes['background']?.request_id).toBe(entry?.request_id);
      expect(await journal(project)).toEqual([]);
    },
  );

  it.each([400, 422])('%i: proves nothing about the request: exit 75, journal kept, listed', async (status) => {
    project = await createProject(recipeYaml([['background', BG]]));
    rig = await startRig({ scenario: refusedReads(status) });
    const run = await runIn(project, FAST_REREADS, { rig });
    expect(summaryOf(run)).toMatchObject({ exitCode: 75, failed: 1, submitted: 1 });
    expect(failure(run)).toMatchObject({ code: 'E_OUTCOME_UNKNOWN', exit_code: 75 });
    expectOutcomeUnknown(run, ['background']);
    expect(await journal(project)).toHaveLength(1);
  });
});

describe('a paid request that finished without an output URL', () => {
  it('is read again within the run: a glitch once costs a pause, not a second request', async () => {
    project = await createProject(recipeYaml([['background', BG]]));
    rig = await startRig({ scenario: { faults: [{ kind: 'missing-output', times: 1 }] } });
    const run = await runIn(project, FAST_REREADS, { rig });
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 1, submitted: 1 });
    const warned = eventsOf(run.events, 'warning').map((e) => e.message);
    expect(warned.some((m) => /finished without an output URL; reading it again/.test(m))).toBe(true);
    expect(await journal(project)).toEqual([]);
  });

  it('the pauses before reading it again hold no -j slot: with -j 1 another node submits meanwhile', async () => {
    project = await createProject(
      recipeYaml([
        ['background', BG],
        ['jacket', 'Keep the face unchanged. Make the jacket red.', 'from: photo'],
      ]),
    );
    rig = await startRig({ scenario: { faults: [{ kind: 'missing-output', nth: 1 }] } });
    const run = await runIn(project, { jobs: 1, outputRereadMs: [400, 400] }, { rig });
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 2, submitted: 2 });
    expect(rig.submits()).toHaveLength(2);
    const at = (pick: (e: InProcessRun['events'][number]) => boolean): number => run.events.findIndex(pick);
    const reread = run.events.find((e) => e.type === 'warning' && /reading it again/.test(e.message));
    const waiting = reread?.type === 'warning' ? reread.node : undefined;
    expect(waiting).toBeDefined();
    const other = waiting === 'background' ? 'jacket' : 'background';
    const paused = at((e) => e === reread);
    const otherStart = at((e) => e.type === 'node-start' && e.node === other);
    // The first node's next event after the pause: its new read's state, or its download.
    const resumed = run.events.findIndex(
      (e, i) => i > paused && (e.type === 'node-state' || e.type === 'node-done') && e.node === waiting,
    );
    // The other node got the slot as soon as the pause began (not once the first was done).
    expect(paused).toBeLessThan(otherStart);
    expect(otherStart).toBeLessThan(resumed);
    expect(await journal(project)).toEqual([]);
    expect((await lockMatchesFiles(project)).every((x) => x.ok)).toBe(true);
  });

  it('a request given up after those pauses (--resubmit-uncertain) is submitted again only in a -j slot', async () => {
    project = await createProject(
      recipeYaml([
        ['background', BG],
        ['jacket', 'Keep the face unchanged. Make the jacket red.', 'from: photo'],
      ]),
    );
    rig = await startRig({ runMs: 600, scenario: { faults: [{ kind: 'missing-output' }] } });
    const first = await runIn(project, { ...FAST_REREADS, only: ['background'] }, { rig });
    expect(summaryOf(first)).toMatchObject({ exitCode: 75, failed: 1, submitted: 1 });
    // Its three reads come without an output URL; the jacket is at the API meanwhile (600 ms).
    rig.emulator.setScenario({ faults: [{ kind: 'missing-output', times: 3 }] });
    const run = await runIn(project, { jobs: 1, outputRereadMs: [50, 50], resubmitUncertain: true }, { rig });
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 2, submitted: 2 });
    expect(rig.submits()).toHaveLength(3);
    const at = (pick: (e: InProcessRun['events'][number]) => boolean): number => run.events.findIndex(pick);
    const gaveUp = at((e) => e.type === 'warning' && /--resubmit-uncertain: submitting it again/.test(e.message));
    const jacketStarts = at((e) => e.type === 'node-start' && e.node === 'jacket');
    const jacketFinished = at((e) => e.type === 'node-state' && e.node === 'jacket' && e.phase === 'downloading');
    const again = run.events.findIndex(
      (e, i) => i > gaveUp && e.type === 'node-state' && e.node === 'background' && e.phase === 'submitting',
    );
    // The jacket took the slot during the pauses; the background's new submit waited for it.
    expect(jacketStarts).toBeLessThan(gaveUp);
    expect(jacketFinished).toBeLessThan(again);
    expect(await journal(project)).toEqual([]);
  });

  it('still without one: journal kept, exit 75; the next run downloads it with no new submit', async () => {
    project = await createProject(recipeYaml([['background', BG]]));
    rig = await startRig({ scenario: { faults: [{ kind: 'missing-output' }] } });
    const run = await runIn(project, FAST_REREADS, { rig });
    expect(summaryOf(run)).toMatchObject({ exitCode: 75, failed: 1, submitted: 1 });
    expect(failure(run)).toMatchObject({ code: 'E_OUTCOME_UNKNOWN', exit_code: 75 });
    expect(failure(run)?.message).toMatch(/read 3 times\): it is paid for/);
    expectOutcomeUnknown(run, ['background']);
    const [entry] = await journal(project);
    expect(entry?.request_id).toBeDefined();

    rig.emulator.setScenario({});
    const next = await runIn(project, FAST_REREADS, { rig });
    expect(summaryOf(next)).toMatchObject({ exitCode: 0, done: 1, submitted: 0 });
    expect(rig.submits()).toHaveLength(1);
    expect((await project.readLock()).nodes['background']?.request_id).toBe(entry?.request_id);
    expect(await journal(project)).toEqual([]);
  });
});

describe('a paid output its URL does not give (not an image, gone, over the cap)', () => {
  it('stays journaled and is read again for free; --resubmit-uncertain submits it again', async () => {
    project = await createProject(recipeYaml([['background', BG]]));
    // Every download answers an HTML page: the output of this request is never to be had.
    rig = await startRig({ scenario: { faults: [{ kind: 'html-download' }] } });
    const run = await runIn(project, FAST_REREADS, { rig });
    expect(summaryOf(run)).toMatchObject({ exitCode: 65, failed: 1, submitted: 1 });
    expect(failure(run)).toMatchObject({ code: 'E_DOWNLOAD_REFUSED' });
    expect(failure(run)?.hint).toMatch(
      /stays in the journal: the next run reads it again \(free\); .*--resubmit-uncertain/,
    );
    const [entry, ...more] = await journal(project);
    expect(more).toEqual([]);
    expect(entry?.request_id).toBeDefined();

    // Read again: no new submit, the same refusal, the entry kept.
    const again = await runIn(project, FAST_REREADS, { rig });
    expect(summaryOf(again)).toMatchObject({ exitCode: 65, failed: 1, submitted: 0 });
    expect(await journal(project)).toEqual([entry]);

    // The user accepts paying again: the request is given up and submitted anew (one more paid).
    rig.emulator.setScenario({ faults: [{ kind: 'html-download', times: 1 }] });
    const resubmitted = await runIn(project, { ...FAST_REREADS, resubmitUncertain: true }, { rig });
    expect(summaryOf(resubmitted)).toMatchObject({ exitCode: 0, done: 1, submitted: 1 });
    const warned = eventsOf(resubmitted.events, 'warning').map((e) => e.message);
    expect(warned.some((m) => m.includes('--resubmit-uncertain: submitting it again'))).toBe(true);
    expect(rig.submits()).toHaveLength(2);
    expect((await project.readLock()).nodes['background']?.request_id).not.toBe(entry?.request_id);
    expect((await lockMatchesFiles(project)).every((x) => x.ok)).toBe(true);
    expect(await journal(project)).toEqual([]);
  });

  it('an output sent with an encoding we did not ask for is no lost output: no resubmit offered or made', async () => {
    project = await createProject(recipeYaml([['background', BG]]));
    rig = await startRig({ scenario: { faults: [{ kind: 'gzip-download' }] } });
    const run = await runIn(project, FAST_REREADS, { rig });
    expect(summaryOf(run)).toMatchObject({ exitCode: 65, failed: 1, submitted: 1 });
    expect(failure(run)).toMatchObject({ code: 'E_DOWNLOAD_REFUSED' });
    expect(failure(run)?.hint).not.toMatch(/--resubmit-uncertain/);
    const again = await runIn(project, { ...FAST_REREADS, resubmitUncertain: true }, { rig });
    expect(summaryOf(again)).toMatchObject({ exitCode: 65, failed: 1, submitted: 0 });
    expect(rig.submits()).toHaveLength(1);
  });
});
