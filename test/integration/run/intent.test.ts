/**
 * Intent before money, with the BUILT CLI as a real child killed by its own test hook
 * (KONTEXT_TEST_HOOKS=1, KONTEXT_TEST_CRASH_AT=<point>) at each stage of a submit burst at -j 4,
 * against a standalone emulator whose request log counts what was paid for; then re-runs:
 * - by default no accepted cache key is ever submitted twice; nodes left as an intent without
 *   a request id are "maybe paid", reported (summary, exit 75) and not submitted again;
 * - with --resubmit-uncertain each of them is submitted exactly once more, with the intent's seed.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../../src/index.js';
import { openStore } from '../../../src/store/index.js';
import type { RequestLogEntry } from '../../../src/emulator/index.js';
import { ensureBuilt } from '../../helpers/cli-spawn.js';
import { journalEntries } from '../../helpers/journal-files.js';
import { runChildren, runcomfyAt } from '../../helpers/run-children.js';
import {
  acceptedByBody,
  createProject,
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
  ['a4', 'Keep the face unchanged. Add a blue hat.', 'from: photo'],
  ['b1', 'Keep everything else unchanged. Add falling snow.', 'from: a1'],
  ['b2', 'Keep everything else unchanged. Add falling rain.', 'from: a2'],
];

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

function submitsOf(log: readonly RequestLogEntry[], prompt: string): RequestLogEntry[] {
  return log.filter((e) => !e.internal && e.method === 'POST' && e.body?.['prompt'] === prompt);
}

const POINTS = [
  'after-intent',
  'after-submit-sent',
  'after-submit-response',
  'request-id-temp-written',
  'after-request-id',
] as const;

describe('intent before money (built CLI killed at each stage of a submit)', () => {
  for (const point of POINTS) {
    it(`kill -9 ${point}: nothing paid twice; uncertain nodes reported, resubmitted once on request`, async () => {
      emulator = await startEmulator({ queueMs: 20, runMs: 150 });
      const em = emulator;
      const env = runcomfyAt(em);
      project = await createProject(
        recipeYaml(PASSES, ['hosting: { mode: inline }']).replace('provider: emulator', 'provider: runcomfy'),
      );
      const child = children.spawn(['run', project.recipe, '-j', '4', '--json'], project, {
        ...env,
        KONTEXT_TEST_HOOKS: '1',
        KONTEXT_TEST_CRASH_AT: point,
      });
      const crashed = await child.done;
      expect(crashed.signal, child.output()).toBe('SIGKILL');

      const left = await journalEntries(project.cacheDir);
      expect(left.length).toBeGreaterThan(0);
      for (const e of left) expect(e.body_sha256).toMatch(/^[0-9a-f]{64}$/);
      // As the store reads them: an intent whose id a killed write left in its temp has that id.
      const intents = (await (await openStore(project.cacheDir)).journal.list()).filter(
        (e) => e.request_id === undefined,
      );
      const uncertain = intents.map((e) => e.node).sort();
      if (point === 'after-request-id') expect(left.some((e) => e.request_id !== undefined)).toBe(true);
      else if (point === 'request-id-temp-written') expect(intents.length).toBeLessThan(left.length);
      else expect(uncertain.length).toBeGreaterThan(0);
      const paidBefore = new Map(PASSES.map(([, prompt]) => [prompt, submitsOf(em.requestLog(), prompt).length]));

      // Default: the maybe-paid nodes are reported and not submitted again; everything else finishes.
      const rerun = await runIn(project, { jobs: 4 }, { env });
      const summary = summaryOf(rerun);
      expect([...summary.uncertain]).toEqual(uncertain);
      expect(summary.exitCode).toBe(uncertain.length > 0 ? 75 : 0);
      for (const [id, prompt] of PASSES)
        if (uncertain.includes(id))
          expect(submitsOf(em.requestLog(), prompt)).toHaveLength(paidBefore.get(prompt) ?? 0);
      expect([...acceptedByBody(em.requestLog()).values()].every((n) => n === 1)).toBe(true);
      // Still known, seeds kept.
      expect((await journalEntries(project.cacheDir)).map((e) => e.node).sort()).toEqual(uncertain);

      // --resubmit-uncertain: each of them once more, with the intent's seed (same cache key).
      const again = await runIn(project, { jobs: 4, resubmitUncertain: true }, { env });
      expect(summaryOf(again)).toMatchObject({ exitCode: 0, failed: 0, uncertain: [] });
      const lock = await project.readLock();
      expect(Object.keys(lock.nodes).sort()).toEqual(PASSES.map(([id]) => id).sort());
      for (const e of intents) {
        const prompt = PASSES.find(([id]) => id === e.node)?.[1] ?? '';
        const sent = submitsOf(em.requestLog(), prompt);
        expect(sent).toHaveLength((paidBefore.get(prompt) ?? 0) + 1);
        expect(sent.at(-1)?.body?.['seed']).toBe(e.seed);
        expect(lock.nodes[e.node]?.seed).toBe(e.seed);
      }
      // Paid twice only for maybe-paid nodes (their submits may have been accepted), as the user asked.
      const twice = [...acceptedByBody(em.requestLog()).values()].filter((n) => n > 1).length;
      expect(twice).toBeLessThanOrEqual(intents.length);
      expect((await lockMatchesFiles(project)).every((r) => r.ok)).toBe(true);
      expect(await journalEntries(project.cacheDir)).toEqual([]);
    }, 60_000);
  }

  it('a re-run that only re-attaches still needs the token: exit 77 at preflight, no request', async () => {
    emulator = await startEmulator({ queueMs: 20, runMs: 150 });
    const em = emulator;
    const env = runcomfyAt(em);
    project = await createProject(
      recipeYaml(PASSES.slice(0, 1), ['hosting: { mode: inline }']).replace('provider: emulator', 'provider: runcomfy'),
    );
    const child = children.spawn(['run', project.recipe, '--json'], project, {
      ...env,
      KONTEXT_TEST_HOOKS: '1',
      KONTEXT_TEST_CRASH_AT: 'after-request-id',
    });
    expect((await child.done).signal, child.output()).toBe('SIGKILL');
    const left = await journalEntries(project.cacheDir);
    expect(left.map((e) => typeof e.request_id)).toEqual(['string']);
    const calls = em.requestLog().length;
    const { RUNCOMFY_TOKEN: _token, ...noToken } = env;
    const err = await runIn(project, {}, { env: noToken }).then(
      () => ({}) as { exitCode?: number },
      (e: unknown) => e as { exitCode?: number },
    );
    expect(err.exitCode).toBe(77);
    expect(em.requestLog()).toHaveLength(calls);
    expect(await journalEntries(project.cacheDir)).toEqual(left);
  });
});
