import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../src/index.js';
import type { RunRecord } from '../../../src/store/types.js';
import { journalFiles } from '../../helpers/journal-files.js';
import { recordFiles } from '../../helpers/record-files.js';
import { lockMatchesFiles, sha256File, until } from '../../helpers/run-fixtures.js';
import { startWatchRig, submitsOf, watchRecipe, type WatchRig } from './harness.js';

const P = {
  a: 'Keep the face unchanged. Make the sky orange.',
  b: 'Keep the face unchanged. Add a red scarf.',
  c: 'Keep everything else unchanged. Add falling snow.',
};
const X = 'Keep the face unchanged. Add a green scarf.';
const Y = 'Keep the face unchanged. Add a yellow scarf.';
const chain = (b = P.b): string =>
  watchRecipe([
    ['a', P.a],
    ['b', b],
    ['c', P.c],
  ]);

let rig: WatchRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const cancels = (r: WatchRig): string[] =>
  r
    .calls()
    .filter((e) => e.method === 'POST' && e.path.endsWith('/cancel'))
    .map((e) => e.path.split('/')[3] ?? '');

/** Node states of `node` seen after event index `from`. */
function statesSince(r: WatchRig, from: number, node: string): Extract<RunEvent, { type: 'node-state' }>[] {
  return r.events
    .slice(from)
    .filter((e): e is Extract<RunEvent, { type: 'node-state' }> => e.type === 'node-state' && e.node === node);
}

/** Wait until `node` reaches `phase` in the cycle that started at event index `from`; its request id. */
async function reach(r: WatchRig, from: number, node: string, phase: string): Promise<string> {
  await until(() => statesSince(r, from, node).some((e) => e.phase === phase), 8_000, `${node} ${phase}`);
  const id = statesSince(r, from, node).find((e) => e.request_id !== undefined)?.request_id;
  if (id === undefined) throw new Error(`no request id for ${node}`);
  return id;
}

async function records(r: WatchRig): Promise<RunRecord[]> {
  return (await recordFiles(r.project.cacheDir)).map(({ record }) => record as unknown as RunRecord);
}

const journal = (r: WatchRig): Promise<string[]> => journalFiles(r.project.cacheDir);

describe('watch: in-flight requests of a superseded cycle', () => {
  it('queued ones are cancelled and only the new prompt completes', async () => {
    rig = await startWatchRig(chain());
    await rig.cycleDone(1);
    rig.emulator.setScenario({ queue_ms: 30_000 });
    await rig.project.writeRecipe(chain(X));
    const queuedId = await reach(rig, await rig.cycleStarted(2), 'b', 'queued');
    const r = rig;

    rig.emulator.setScenario({ queue_ms: 0 });
    await rig.project.writeRecipe(chain(Y));
    const cycle = await rig.cycleDone(3);
    expect(cycle.abandoned).toBe(1);
    expect(cycle.to_run.map((t) => t.node)).toEqual(['b', 'c']);
    await until(() => cancels(r).length > 0, 8_000, 'POST cancel');
    expect(cancels(rig)).toEqual([queuedId]);

    expect(submitsOf(rig.calls(), X)).toHaveLength(1);
    expect(submitsOf(rig.calls(), Y)).toHaveLength(1);
    expect(submitsOf(rig.calls(), P.c)).toHaveLength(2); // cycle 1, then on Y's output; never on X's
    expect((await records(rig)).some((rec) => rec.prompt === X)).toBe(false);
    expect((await rig.project.readLock()).nodes['b']?.request_id).toBe(
      statesSince(rig, await rig.cycleStarted(3), 'b').find((e) => e.request_id)?.request_id,
    );
    expect((await lockMatchesFiles(rig.project)).every((e) => e.ok)).toBe(true);
    await until(async () => (await journal(r)).length === 0, 8_000, 'journal emptied');

    // What the session spent: a, b, c, then b and c again ($0.04 each); X's request, cancelled while
    // queued (its cycle superseded, so silent), is not billed: listed apart, not in the session's money.
    // A fourth cycle (everything cached) reports the session once that cancel is surely noted.
    await rig.project.writeRecipe(chain());
    await rig.cycleDone(4);
    const summaries = (): Extract<RunEvent, { type: 'run-summary' }>[] =>
      r.events.filter((e): e is Extract<RunEvent, { type: 'run-summary' }> => e.type === 'run-summary');
    await until(() => summaries().length >= 3, 8_000, 'the fourth cycle summary');
    expect(summaries().map((s) => s.cost_usd)).toEqual([0.12, 0.08, 0]);
    expect(summaries().at(-1)?.session_spend).toEqual({
      cost_usd: 0.2,
      requests: 5,
      maybe_paid: 0,
      cancelled: 1,
      unpriced: 0,
      known_usd: 0.2,
    });
  });

  it('a queued one whose cancel is refused (it started running meanwhile) finishes into the cache', async () => {
    rig = await startWatchRig(chain());
    await rig.cycleDone(1);
    // The cancel comes too late: the service answers not_cancellable, and the request then runs.
    // The queue is held until the cancel has been refused: no queue time to race.
    rig.emulator.setScenario({ queue_ms: 0, faults: [{ kind: 'not-cancellable' }] });
    const release = rig.emulator.hold('queued');
    await rig.project.writeRecipe(chain(X));
    const queuedId = await reach(rig, await rig.cycleStarted(2), 'b', 'queued');
    const r = rig;

    await rig.project.writeRecipe(chain(Y));
    await rig.cycleStarted(3);
    await until(() => cancels(r).length > 0, 8_000, 'POST cancel');
    release();
    const cycle = await rig.cycleDone(3);
    expect(cycle.abandoned).toBe(1);
    expect(cancels(rig)).toEqual([queuedId]);

    // Paid for (it ran): downloaded and recorded, its journal entry gone, as a running one's.
    await until(
      async () => (await records(r)).some((rec) => rec.request_id === queuedId),
      8_000,
      'refused-cancel request recorded',
    );
    await rig.session.close();
    expect((await records(rig)).find((rec) => rec.request_id === queuedId)?.prompt).toBe(X);
    expect(await journal(rig)).toEqual([]);
    expect(submitsOf(rig.calls(), X)).toHaveLength(1);
    expect((await rig.project.readLock()).nodes['b']?.request_id).not.toBe(queuedId);
    expect((await lockMatchesFiles(rig.project)).every((e) => e.ok)).toBe(true);
  });

  it('a queued one whose cancel is refused, then fails remotely: its entry goes, the session ends', async () => {
    rig = await startWatchRig(chain());
    await rig.cycleDone(1);
    const faults = [{ kind: 'not-cancellable' as const }, { kind: 'remote-failed' as const, nth: 1 }];
    rig.emulator.setScenario({ queue_ms: 0, faults });
    const release = rig.emulator.hold('queued');
    await rig.project.writeRecipe(chain(X));
    const queuedId = await reach(rig, await rig.cycleStarted(2), 'b', 'queued');
    const r = rig;
    await rig.project.writeRecipe(chain(Y));
    await rig.cycleStarted(3);
    await until(() => cancels(r).length > 0, 8_000, 'POST cancel');
    release();
    await rig.cycleDone(3);
    expect(cancels(rig)).toEqual([queuedId]);
    // It ended failed: nothing to re-attach to. The wait ends (not read again for ever) and the entry goes.
    await until(async () => (await journal(r)).length === 0, 8_000, 'journal emptied');
    await rig.session.close();
    expect((await records(rig)).some((rec) => rec.request_id === queuedId)).toBe(false);
    expect(submitsOf(rig.calls(), X)).toHaveLength(1);
  });

  it('two identical passes (one request): dropping one while it is queued keeps the request, paid once', async () => {
    const twins = (ids: string[]): string =>
      watchRecipe(ids.map((id) => [id, P.a, 'seed: 7'] as [string, string, string]));
    // The request stays queued until the next cycle has started (not a 1.5 s queue to race).
    let release = (): void => undefined;
    rig = await startWatchRig(twins(['a', 'a2']), {
      setup: async (_p, _env, emulator) => {
        release = emulator.hold('queued');
      },
    });
    await reach(rig, await rig.cycleStarted(1), 'a', 'queued');
    await rig.project.writeRecipe(twins(['a2']));
    await rig.cycleStarted(2);
    release();
    const cycle = await rig.cycleDone(2);
    expect([cycle.abandoned, cycle.in_flight]).toEqual([0, 1]);
    expect(cancels(rig)).toEqual([]);
    expect(submitsOf(rig.calls(), P.a)).toHaveLength(1);
    const lock = await rig.project.readLock();
    expect(Object.keys(lock.nodes)).toContain('a2');
    expect((await lockMatchesFiles(rig.project)).every((e) => e.ok)).toBe(true);
    const r = rig;
    await until(async () => (await journal(r)).length === 0, 8_000, 'journal emptied');
  });

  it('running ones finish into the cache without overwriting the new output or lock entry', async () => {
    rig = await startWatchRig(chain());
    await rig.cycleDone(1);
    rig.emulator.setScenario({ queue_ms: 0 });
    // X's b runs at the API until the next cycle has abandoned it (not a 1.5 s job to race).
    const release = rig.emulator.hold('running');
    await rig.project.writeRecipe(chain(X));
    const runningId = await reach(rig, await rig.cycleStarted(2), 'b', 'running');
    const r = rig;

    await rig.project.writeRecipe(chain(Y));
    await rig.cycleStarted(3);
    release();
    const cycle = await rig.cycleDone(3);
    expect(cycle.abandoned).toBe(1);
    const lock = await rig.project.readLock();
    const yId = lock.nodes['b']?.request_id;
    expect(yId).not.toBe(runningId);

    // The abandoned request ends, is downloaded and recorded (paid for, so kept)...
    await until(
      async () => (await records(r)).some((rec) => rec.request_id === runningId),
      8_000,
      'abandoned request recorded',
    );
    await rig.session.close(); // every run settled, superseded ones included
    const xRecord = (await records(rig)).find((rec) => rec.request_id === runningId);
    expect(xRecord?.prompt).toBe(X);
    // ...but neither the output nor the lock moved back to it.
    const after = await rig.project.readLock();
    expect(after.nodes['b']?.request_id).toBe(yId);
    const bOut = join(rig.project.root, after.nodes['b']?.output ?? 'missing');
    expect(await sha256File(bOut)).toBe(after.nodes['b']?.output_sha256);
    expect(await sha256File(bOut)).not.toBe(xRecord?.output_sha256);
    expect((await lockMatchesFiles(rig.project)).every((e) => e.ok)).toBe(true);
    expect(cancels(rig)).toEqual([]);
    expect(submitsOf(rig.calls(), P.c)).toHaveLength(2);
    expect(await journal(rig)).toEqual([]);
  });

  it('a request the new plan still wants is awaited, not submitted again', async () => {
    rig = await startWatchRig(
      watchRecipe([
        ['a', P.a],
        ['b', P.b],
        ['d', 'Keep the face unchanged. Add round glasses.', 'from: a'],
      ]),
    );
    await rig.cycleDone(1);
    rig.emulator.setScenario({ queue_ms: 0, run_ms: 800 });
    // Change d only: a and b are untouched. Then, while d runs, change b: d must be awaited.
    await rig.project.writeRecipe(
      watchRecipe([
        ['a', P.a],
        ['b', P.b],
        ['d', 'Keep the face unchanged. Add square glasses.', 'from: a'],
      ]),
    );
    await reach(rig, await rig.cycleStarted(2), 'd', 'running');
    rig.emulator.setScenario({ queue_ms: 0, run_ms: 20 });
    await rig.project.writeRecipe(
      watchRecipe([
        ['a', P.a],
        ['b', X],
        ['d', 'Keep the face unchanged. Add square glasses.', 'from: a'],
      ]),
    );
    const cycle = await rig.cycleDone(3);
    expect(cycle.abandoned).toBe(0);
    expect(cycle.in_flight).toBe(1);
    expect(cycle.to_run.map((t) => t.node)).toEqual(['b']);
    expect(submitsOf(rig.calls(), 'Keep the face unchanged. Add square glasses.')).toHaveLength(1);
    // b and d start side by side in the last cycle (which comes first is I/O timing): d re-attaches.
    expect(
      rig
        .of('node-start')
        .filter((e) => e.node === 'd')
        .at(-1),
    ).toMatchObject({ node: 'd', reason: 'reattach' });
    expect(rig.of('run-summary').at(-1)).toMatchObject({ done: 2, cached: 1, failed: 0 });
    expect((await lockMatchesFiles(rig.project)).every((e) => e.ok)).toBe(true);
  });
});
