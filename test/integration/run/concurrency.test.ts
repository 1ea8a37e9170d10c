/**
 * What `-j N` bounds: requests at the API (submit → finished). Downloads of finished outputs
 * run beside them (under their own limit of N), so a slow download does not keep the next
 * request from being submitted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestLogEntry } from '../../../src/emulator/index.js';
import {
  createProject,
  isSubmit,
  recipeYaml,
  runIn,
  startRig,
  summaryOf,
  type Project,
  type Rig,
} from '../../helpers/run-fixtures.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const at = (e: RequestLogEntry): number => Date.parse(e.time);
const isDownload = (e: RequestLogEntry): boolean => e.method === 'GET' && !e.path.startsWith('/v1/');
const requestOf = (e: RequestLogEntry): string | undefined => /^\/v1\/requests\/([^/]+)\//.exec(e.path)?.[1];

async function setup(scenario: Parameters<typeof startRig>[0]): Promise<{ project: Project; rig: Rig }> {
  const project = await createProject(
    recipeYaml([
      ['a', 'Keep the face unchanged. Make the sky orange.', 'seed: 1'],
      ['b', 'Keep the face unchanged. Add a red scarf.', 'from: photo', 'seed: 2'],
      ['c', 'Keep the face unchanged. Add round glasses.', 'from: photo', 'seed: 3'],
    ]),
  );
  const rig = await startRig(scenario);
  cleanups.push(
    () => project.cleanup(),
    () => rig.close(),
  );
  return { project, rig };
}

describe('-j N', () => {
  it('-j 1: one request at the API at a time, but a slow download does not hold the slot', async () => {
    const { project, rig } = await setup({
      runMs: 30,
      scenario: { faults: [{ kind: 'slow', on: 'download', nth: 1, delay_ms: 1_500 }] },
    });
    const run = await runIn(project, { jobs: 1 }, { rig });
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 3 });

    const calls = rig.calls();
    const submits = calls.filter(isSubmit);
    expect(submits).toHaveLength(3);
    // Each request's polls end before the next submit arrives: never two at the API at once.
    const polls = calls.filter((e) => requestOf(e) !== undefined);
    const ids = [...new Set(polls.map(requestOf))];
    expect(ids).toHaveLength(3);
    for (const [i, id] of ids.entries()) {
      const lastPoll = Math.max(...polls.filter((e) => requestOf(e) === id).map(at));
      const next = submits[i + 1];
      if (next) expect(at(next)).toBeGreaterThanOrEqual(lastPoll);
    }
    // The first download was held up 1.5 s; the other two requests ran meanwhile.
    const slow = calls.filter(isDownload).find((e) => e.fault !== undefined);
    expect(slow?.fault).toMatch(/slow/);
    const slowEnd = at(slow!) + slow!.ms;
    expect(submits.slice(1).every((s) => at(s) < slowEnd)).toBe(true);
  });

  it('journal look-up and inline input come before the slot: the slot goes straight to submitting', async () => {
    const { project, rig } = await setup({ runMs: 30 });
    const run = await runIn(project, { jobs: 1 }, { rig });
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 3 });
    for (const id of ['a', 'b', 'c']) {
      const phases = run.events
        .filter((e) => (e.type === 'node-state' || e.type === 'node-start') && e.node === id)
        .map((e) => (e.type === 'node-state' ? e.phase : e.type));
      expect(phases.slice(0, 2)).toEqual(['node-start', 'submitting']);
    }
  });
});
