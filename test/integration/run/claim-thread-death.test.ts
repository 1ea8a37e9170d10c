/**
 * The journal's claim thread (src/store/claim-thread.ts) dying under a run: a real worker told to
 * exit (`dieOnClaimsForTests`) once the run's claims are with it, before it answers them, having
 * linked none of them or each (their intents on disk, not answered). In-process runs against a
 * standalone emulator speaking RunComfy, whose request log counts what was paid. Expected: each
 * of those nodes fails with one clear error (E_CLAIM_THREAD), nothing is submitted, the run ends
 * (no hang), no intent is left for a later run to take as "maybe paid", and the next run (its
 * claims without the thread) pays once for each node.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../../src/index.js';
import { dieOnClaimsForTests, forgetDeadThreadForTests } from '../../../src/store/claim-thread.js';
import { journalEntries } from '../../helpers/journal-files.js';
import { runcomfyAt } from '../../helpers/run-children.js';
import {
  acceptedByBody,
  createProject,
  eventsOf,
  isSubmit,
  lockMatchesFiles,
  recipeYaml,
  runIn,
  summaryOf,
  type Project,
} from '../../helpers/run-fixtures.js';

const PASSES: [string, string, ...string[]][] = [
  ['a1', 'Keep the face unchanged. Make the sky orange.', 'from: photo'],
  ['a2', 'Keep the face unchanged. Add a red scarf.', 'from: photo'],
  ['a3', 'Keep the face unchanged. Add round glasses.', 'from: photo'],
];

let emulator: EmulatorHandle | undefined;
let project: Project | undefined;
afterEach(async () => {
  forgetDeadThreadForTests(); // the test files after this one in its worker get a thread again
  await emulator?.close();
  await project?.cleanup();
  emulator = undefined;
  project = undefined;
});

const CASES = [
  { what: 'one claim, before it links it', passes: PASSES.slice(0, 1), when: 'before-link', keepGoing: false },
  { what: 'one claim, linked but not answered', passes: PASSES.slice(0, 1), when: 'after-link', keepGoing: false },
  // The run stops at the first failure, but the others' claims were in flight and failed on their
  // own: each is a failure with its reason, not a skip (a failure the stop caused would be).
  { what: 'three claims in flight, none linked', passes: PASSES, when: 'before-link', keepGoing: false },
  { what: 'three claims in flight, each linked, none answered', passes: PASSES, when: 'after-link', keepGoing: false },
  // --keep-going: each of them fails with the same error, as well.
  { what: 'three claims in flight (--keep-going)', passes: PASSES, when: 'after-link', keepGoing: true },
] as const;

describe('the claim thread dies under a run', () => {
  for (const { what, passes, when, keepGoing } of CASES) {
    it(`${what}: those nodes fail with one clear error, nothing paid; the next run pays once each`, async () => {
      emulator = await startEmulator({ queueMs: 10, runMs: 20 });
      const em = emulator;
      const env = runcomfyAt(em);
      project = await createProject(
        recipeYaml(passes, ['hosting: { mode: inline }']).replace('provider: emulator', 'provider: runcomfy'),
      );
      await dieOnClaimsForTests(passes.length, when);
      const first = await runIn(project, { jobs: 4, keepGoing }, { env });
      const failed = eventsOf(first.events, 'node-failed');
      expect(failed.length).toBe(passes.length);
      expect(eventsOf(first.events, 'node-skipped')).toEqual([]);
      expect(failed.map((e) => e.node).sort()).toEqual(passes.map(([id]) => id));
      for (const e of failed) {
        expect(e).toMatchObject({ code: 'E_CLAIM_THREAD', exit_code: 70 });
        expect(e.message).toMatch(/claim thread failed \(told to die\) before it answered/);
        expect(e.hint).toMatch(/nothing was submitted/);
      }
      expect(summaryOf(first)).toMatchObject({ exitCode: 70, uncertain: [] });
      expect(em.requestLog().filter(isSubmit)).toEqual([]);
      // No intent for a later run to take as a dead run's "maybe paid", and no claim temp.
      expect(await journalEntries(project.cacheDir)).toEqual([]);
      expect(await readdir(join(project.cacheDir, 'journal')).catch(() => [])).toEqual([]);

      // The next run (this process's claims now without the thread) pays once for each node.
      const next = await runIn(project, { jobs: 4 }, { env });
      expect(summaryOf(next)).toMatchObject({ exitCode: 0, failed: 0, uncertain: [] });
      const accepted = [...acceptedByBody(em.requestLog()).values()];
      expect(accepted).toEqual(passes.map(() => 1));
      expect((await lockMatchesFiles(project)).every((r) => r.ok)).toBe(true);
      expect(await journalEntries(project.cacheDir)).toEqual([]);
    }, 60_000);
  }
});

describe("the claim thread dies holding two runs' claims of one key (two projects, one cache)", () => {
  it('the run whose claim it linked fails (nothing paid); the other waits, then pays once', async () => {
    emulator = await startEmulator({ queueMs: 10, runMs: 20 });
    const recipe = recipeYaml(
      [['a', 'Keep the face unchanged. Make the sky orange.', 'seed: 11']],
      ['hosting: { mode: inline }'],
    ).replace('provider: emulator', 'provider: runcomfy');
    project = await createProject(recipe);
    const other = await createProject(recipe);
    try {
      const env = { ...runcomfyAt(emulator), KONTEXT_CACHE_DIR: join(project.root, 'shared-cache') };
      // One batch on the thread: the first claim linked, the second told the key is taken; then it dies.
      await dieOnClaimsForTests(2, 'after-link');
      const [x, y] = await Promise.all([
        runIn(project, { jobs: 1 }, { env, pid: 900_001 }),
        runIn(other, { jobs: 1 }, { env, pid: 900_002 }),
      ]);
      // The linked claim's run fails; the other, told the key was taken, waits for it to be taken
      // back, then pays, or (its claim again on the thread before its death was known) fails too.
      const outcomes = [summaryOf(x), summaryOf(y)].map((s) => [s.exitCode, s.done, s.failed]).sort();
      expect(outcomes).toContainEqual([70, 0, 1]);
      expect([
        [0, 1, 0],
        [70, 0, 1],
      ]).toContainEqual(outcomes[0]);
      const failed = [...eventsOf(x.events, 'node-failed'), ...eventsOf(y.events, 'node-failed')];
      expect(failed.map((e) => e.code)).toEqual(failed.map(() => 'E_CLAIM_THREAD'));
      const paid = outcomes.filter(([code]) => code === 0).length;
      expect(emulator.requestLog().filter(isSubmit)).toHaveLength(paid);
      expect(await journalEntries(join(project.root, 'shared-cache'))).toEqual([]);
      // Then both projects: one request in all, whichever paid it.
      for (const p of [project, other]) expect(summaryOf(await runIn(p, {}, { env })).exitCode).toBe(0);
      expect(emulator.requestLog().filter(isSubmit)).toHaveLength(1);
    } finally {
      await other.cleanup();
    }
  }, 60_000);
});
