/**
 * Ctrl-C while a submit is on the wire: the submit gets a grace period to come back (then it
 * is journaled and cancelled). When the grace runs out first, the request may still have been
 * accepted and billed with no id to re-attach to: the run warns, naming the node.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { interruptionBy } from '../../../src/cli/main.js';
import type { Fault } from '../../../src/emulator/scenario.js';
import { runRecipe, type RunEvent } from '../../../src/index.js';
import {
  createProject,
  eventsOf,
  recipeYaml,
  startRig,
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

async function interruptWhileSubmitting(
  submitDelayMs: number,
  graceMs: number,
  faults: Fault[] = [{ kind: 'slow', on: 'submit', delay_ms: submitDelayMs }],
  reason?: unknown,
): Promise<RunEvent[]> {
  rig = await startRig({ scenario: { faults } });
  project = await createProject(recipeYaml([['a', 'Keep the face unchanged. Make the sky orange.']]));
  const stop = new AbortController();
  const events: RunEvent[] = [];
  // Once the submit is under way, its intent journaled: a stop while the intent's fsync is slow
  // (a busy disk) would send nothing, and the grace never begin.
  const crashPoint = (p: string): void => {
    if (p === 'after-submit-sent') setTimeout(() => stop.abort(reason), 50);
  };
  const result = await runRecipe(
    project.recipe,
    { jobs: 1, signal: stop.signal, submitGraceMs: graceMs },
    { rt: { ...testRuntime(project.root), crashPoint }, onEvent: (e) => events.push(e), session: rig.session },
  );
  expect(result.kind === 'run' && result.summary.exitCode).toBe(130);
  return events;
}

describe('Ctrl-C while a paid result downloads', () => {
  it('names the node as paid, outcome unknown: its request stays journaled for the next run', async () => {
    // A reset on the first download, then a slow drip: the interrupt lands in the retried download.
    const faults: Fault[] = [
      { kind: 'reset', on: 'download', nth: 1 },
      { kind: 'drip-download', nth: 2, bytes: 16 * 1024, interval_ms: 100, pad_to: 2 * 1024 ** 2 },
    ];
    rig = await startRig({ scenario: { faults } });
    project = await createProject(recipeYaml([['a', 'Keep the face unchanged. Make the sky orange.']]));
    const stop = new AbortController();
    const events: RunEvent[] = [];
    const onEvent = (e: RunEvent): void => {
      events.push(e);
      // The retry after the reset: the interrupt lands while the download is tried again (and drips).
      if (e.type === 'node-retry' && e.call === 'download') setTimeout(() => stop.abort(), 300);
    };
    const result = await runRecipe(
      project.recipe,
      { jobs: 1, signal: stop.signal },
      { rt: testRuntime(project.root), onEvent, session: rig.session },
    );
    if (result.kind !== 'run') throw new Error('no run');
    expect(result.summary.exitCode).toBe(130);
    expect(result.summary.outcomeUnknown).toEqual(['a']);
    expect(eventsOf(events, 'run-summary')[0]?.outcome_unknown).toEqual(['a']);
    expect(await readdir(join(project.cacheDir, 'journal'))).toHaveLength(1);
    // The next run downloads it: nothing paid again.
    rig.emulator.setScenario({});
    const next = await runRecipe(
      project.recipe,
      { jobs: 1 },
      { rt: testRuntime(project.root), onEvent: () => {}, session: rig.session },
    );
    expect(next.kind === 'run' && [next.summary.exitCode, next.summary.done, next.summary.submitted]).toEqual([
      0, 1, 0,
    ]);
    expect(rig.submits()).toHaveLength(1);
  });
});

describe('submit grace at Ctrl-C', () => {
  it('a Ctrl-C that lands while the intent is being journaled sends no submit: nothing on the wire yet', async () => {
    rig = await startRig();
    project = await createProject(recipeYaml([['a', 'Keep the face unchanged. Make the sky orange.']]));
    const stop = new AbortController();
    // The interrupt comes while the claim is written (its fsync), before the submit leaves.
    const rt = { ...testRuntime(project.root), crashPoint: (p: string) => p === 'after-intent' && stop.abort() };
    const events: RunEvent[] = [];
    const result = await runRecipe(
      project.recipe,
      { jobs: 1, signal: stop.signal },
      { rt, onEvent: (e) => events.push(e), session: rig.session },
    );
    expect(result.kind === 'run' && result.summary.exitCode).toBe(130);
    expect(rig.submits()).toEqual([]);
    expect(eventsOf(events, 'node-skipped').map((e) => [e.node, e.reason])).toEqual([['a', 'interrupted']]);
    expect(await readdir(join(project.cacheDir, 'journal'))).toEqual([]);
  });

  it('warns that a submit still on the wire when the grace ran out may have been billed', async () => {
    const events = await interruptWhileSubmitting(3_000, 200);
    const warnings = eventsOf(events, 'warning');
    expect(warnings[0]?.node).toBe('a');
    // An embedder's AbortSignal: what stopped it is not known, so no "Ctrl-C" (walk-ai 4).
    expect(warnings[0]?.message).toMatch(
      /^the submit for a was still on the wire 0\.2 s after the interrupt and was abandoned; .* accepted and billed/,
    );
    expect(eventsOf(events, 'node-skipped').map((e) => [e.node, e.reason])).toEqual([['a', 'interrupted']]);
    // The summary lists it as maybe paid (the next run stops it as such), with its closing warning.
    expect(eventsOf(events, 'run-summary')[0]?.uncertain).toEqual(['a']);
    expect(warnings.slice(1).map((w) => w.message)).toEqual([expect.stringMatching(/^maybe paid, not known .*: a /)]);
  }, 20_000);

  // The CLI's interrupt names its signal: a CI cancel (SIGTERM) is no Ctrl-C (walk-ai 4).
  it.each([
    ['SIGTERM', 'the interrupt (SIGTERM)'],
    ['SIGINT', 'Ctrl-C'],
  ] as const)(
    'a %s is named in that warning as "after %s"',
    async (signal, after) => {
      const events = await interruptWhileSubmitting(3_000, 200, undefined, interruptionBy(signal));
      const message = eventsOf(events, 'warning')[0]?.message ?? '';
      expect(message.startsWith(`the submit for a was still on the wire 0.2 s after ${after} and was abandoned;`)).toBe(
        true,
      );
    },
    20_000,
  );

  it('says nothing when Ctrl-C comes while the submit waits out a 429: nothing was taken', async () => {
    const events = await interruptWhileSubmitting(0, 200, [
      // A wait within the request's deadline, however long, is waited out (submit-rate-limit.test.ts).
      { kind: 'http', on: 'submit', status: 429, retry_after: 0.45 },
    ]);
    expect(eventsOf(events, 'warning')).toEqual([]);
    expect(eventsOf(events, 'node-skipped').map((e) => [e.node, e.reason])).toEqual([['a', 'interrupted']]);
    // The intent is gone: the next run neither reports the node maybe paid nor waits for it.
    expect(await readdir(join(project?.cacheDir ?? '', 'journal'))).toEqual([]);
  }, 20_000);

  it('says nothing of the submit when it comes back within the grace', async () => {
    const events = await interruptWhileSubmitting(300, 5_000);
    // No word of a lost submit. (A request already running when the cancel came is named as paid,
    // outcome unknown, in a warning that speaks of "maybe paid twice" too: not that one.)
    expect(eventsOf(events, 'warning').filter((w) => /still on the wire/.test(w.message))).toEqual([]);
  }, 20_000);
});
