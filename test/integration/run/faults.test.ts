/**
 * Flaky networks and failing passes: 429/5xx storms and truncated downloads still give the
 * exact outputs of a fault-free run (no duplicate accepted submit); a persistent 429 and a 503
 * (sent once: maybe accepted) end with the right exit code; stop-on-first-failure vs --keep-going.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ScenarioInput } from '../../../src/emulator/index.js';
import {
  acceptedByPrompt,
  createProject,
  eventsOf,
  lockMatchesFiles,
  recipeYaml,
  runIn,
  sha256File,
  startRig,
  summaryOf,
  type Project,
  type Rig,
} from '../../helpers/run-fixtures.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(yaml: string, scenario?: ScenarioInput): Promise<{ project: Project; rig: Rig }> {
  const project = await createProject(yaml);
  const rig = await startRig(scenario ? { scenario } : {});
  cleanups.push(
    () => project.cleanup(),
    () => rig.close(),
  );
  return { project, rig };
}

/** Two branches of two chained passes, fixed seeds so a fault-free run is the reference. */
const BRANCHES = recipeYaml([
  ['a', 'Keep the face unchanged. Make the sky orange.', 'seed: 1'],
  ['a2', 'Keep everything else unchanged. Add falling snow.', 'seed: 2'],
  ['b', 'Keep the face unchanged. Add a red scarf.', 'from: photo', 'seed: 3'],
  ['b2', 'Keep everything else unchanged. Add round glasses.', 'seed: 4'],
]);

describe('transient faults', () => {
  it('a 429/5xx storm with Retry-After and truncated downloads: fault-free outputs, each accepted once', async () => {
    const clean = await setup(BRANCHES);
    expect(summaryOf(await runIn(clean.project, {}, { rig: clean.rig })).exitCode).toBe(0);
    const reference = await clean.project.readLock();

    const storm = await setup(BRANCHES, {
      // Random faults on a fifth of the calls: at 0.3, a node's status reads (their order set by timing)
      // now and then drew a run of refusals longer than the rig's retries (exit 69 or 75, also before).
      fault_rate: 0.2,
      fault_seed: 7,
      faults: [
        { kind: 'http', on: 'submit', nth: 1, times: 2, status: 429, retry_after: 0.05 },
        { kind: 'http', on: 'status', nth: 2, status: 502 },
        { kind: 'truncated-download', nth: 1, times: 2 },
      ],
    });
    const run = await runIn(storm.project, { jobs: 4 }, { rig: storm.rig });
    const failures = JSON.stringify(eventsOf(run.events, 'node-failed'));
    expect(summaryOf(run), failures).toMatchObject({ exitCode: 0, done: 4, failed: 0 });
    const faults = storm.rig
      .calls()
      .map((e) => e.fault)
      .filter((f): f is string => f !== undefined);
    expect(faults).toEqual(expect.arrayContaining(['http 429', 'http 502', 'truncated-download']));
    expect(faults.some((f) => f.startsWith('random'))).toBe(true);

    expect([...acceptedByPrompt(storm.rig.calls()).values()]).toEqual([1, 1, 1, 1]);
    // Every retry reaches the reporters as a node-retry event naming the node and the call.
    const retries = eventsOf(run.events, 'node-retry');
    expect(retries.length).toBeGreaterThanOrEqual(faults.length - 1);
    expect(retries.map((r) => r.call)).toEqual(expect.arrayContaining(['submit', 'download']));
    for (const r of retries) expect(['a', 'a2', 'b', 'b2']).toContain(r.node);
    const lock = await storm.project.readLock();
    for (const node of ['a', 'a2', 'b', 'b2']) {
      expect(lock.nodes[node]?.output_sha256).toBe(reference.nodes[node]?.output_sha256);
      expect(await sha256File(join(storm.project.root, lock.nodes[node]?.output ?? ''))).toBe(
        reference.nodes[node]?.output_sha256,
      );
    }
    expect((await lockMatchesFiles(storm.project)).every((r) => r.ok)).toBe(true);
  });

  it('a submit answered 429 every time is retried, then ends with exit 75 and nothing accepted', async () => {
    const { project, rig } = await setup(recipeYaml([['a', 'Keep the face unchanged. Make the sky orange.']]), {
      faults: [{ kind: 'http', on: 'submit', status: 429 }],
    });
    const run = await runIn(project, {}, { rig });
    expect(summaryOf(run)).toMatchObject({ exitCode: 75, failed: 1, done: 0, uncertain: [] });
    expect(rig.submits().length).toBeGreaterThan(1);
    expect(acceptedByPrompt(rig.calls()).size).toBe(0);
    expect(await project.outFiles().catch(() => [])).toEqual([]);
  });

  it('a submit answered 503 is sent once: exit 69, maybe paid (RunComfy may have accepted it)', async () => {
    const { project, rig } = await setup(recipeYaml([['a', 'Keep the face unchanged. Make the sky orange.']]), {
      faults: [{ kind: 'http', on: 'submit', status: 503 }],
    });
    const run = await runIn(project, {}, { rig });
    expect(summaryOf(run)).toMatchObject({ exitCode: 69, failed: 1, done: 0, uncertain: ['a'] });
    expect(rig.submits()).toHaveLength(1);
    expect(await project.outFiles().catch(() => [])).toEqual([]);
  });
});

/** Three branches: x, y, z from the photo, each with a child. With -j 1 the submits go x, y, z. */
const THREE = recipeYaml([
  ['x', 'Keep the face unchanged. Make the sky orange.'],
  ['x2', 'Keep everything else unchanged. Add falling snow.'],
  ['y', 'Keep the face unchanged. Add a red scarf.', 'from: photo'],
  ['y2', 'Keep everything else unchanged. Add round glasses.'],
  ['z', 'Keep the face unchanged. Add a blue hat.', 'from: photo'],
  ['z2', 'Keep everything else unchanged. Add a small bird.'],
]);
const REMOTE_FAIL: ScenarioInput = {
  faults: [{ kind: 'remote-failed', nth: 1, error: { code: 'moderation', message: 'flagged' } }],
};

describe('a failed request is not kept', () => {
  it('after a remote failure the next run submits again (the journal does not keep the failed request)', async () => {
    const { project, rig } = await setup(
      recipeYaml([['a', 'Keep the face unchanged. Make the sky orange.']]),
      REMOTE_FAIL,
    );
    expect(summaryOf(await runIn(project, {}, { rig })).exitCode).toBe(1);
    rig.emulator.setScenario({});
    const again = await runIn(project, {}, { rig });
    expect(summaryOf(again)).toMatchObject({ exitCode: 0, done: 1 });
    expect(rig.submits().filter((e) => e.status === 200)).toHaveLength(2);
    expect(await readdir(join(project.cacheDir, 'journal')).catch(() => [])).toEqual([]);
  });
});

describe('stop on first failure and --keep-going', () => {
  it('without --keep-going the run stops submitting after a remote failure (exit 1)', async () => {
    const { project, rig } = await setup(THREE, REMOTE_FAIL);
    const run = await runIn(project, { jobs: 1 }, { rig });
    expect(summaryOf(run)).toMatchObject({ exitCode: 1, failed: 1, done: 0 });
    expect(eventsOf(run.events, 'node-failed').map((e) => [e.node, e.exit_code])).toEqual([['x', 1]]);
    expect(rig.submits()).toHaveLength(1);
    const skipped = Object.fromEntries(eventsOf(run.events, 'node-skipped').map((e) => [e.node, e.reason]));
    expect(skipped).toEqual({ x2: 'upstream-failed', y: 'stopped', y2: 'stopped', z: 'stopped', z2: 'stopped' });
  });

  it('with --keep-going every node not downstream of the failure finishes', async () => {
    const { project, rig } = await setup(THREE, REMOTE_FAIL);
    const run = await runIn(project, { jobs: 1, keepGoing: true }, { rig });
    expect(summaryOf(run)).toMatchObject({ exitCode: 1, failed: 1, done: 4, skipped: 1 });
    expect(
      eventsOf(run.events, 'node-done')
        .map((e) => e.node)
        .sort(),
    ).toEqual(['y', 'y2', 'z', 'z2']);
    expect(eventsOf(run.events, 'node-skipped').map((e) => [e.node, e.reason])).toEqual([['x2', 'upstream-failed']]);
    expect(Object.keys((await project.readLock()).nodes).sort()).toEqual(['y', 'y2', 'z', 'z2']);
    expect((await lockMatchesFiles(project)).every((r) => r.ok)).toBe(true);
    expect(rig.submits()).toHaveLength(5);
  });

  it('with --keep-going the most severe exit code wins (remote failure 1 + rejected input 65 → 65)', async () => {
    const { project, rig } = await setup(THREE, {
      faults: [
        ...(REMOTE_FAIL.faults ?? []),
        { kind: 'http', on: 'submit', nth: 2, status: 422, message: 'bad input' },
      ],
    });
    const run = await runIn(project, { jobs: 1, keepGoing: true }, { rig });
    expect(summaryOf(run)).toMatchObject({ exitCode: 65, failed: 2, done: 2 });
    expect(Object.fromEntries(eventsOf(run.events, 'node-failed').map((e) => [e.node, e.exit_code]))).toEqual({
      x: 1,
      y: 65,
    });
    expect(
      eventsOf(run.events, 'node-done')
        .map((e) => e.node)
        .sort(),
    ).toEqual(['z', 'z2']);
  });
});
