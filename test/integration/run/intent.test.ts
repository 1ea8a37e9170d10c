/**
 * Intent before money, with the BUILT CLI as a real child killed by its own test hook
 * (KONTEXT_TEST_HOOKS=1, KONTEXT_TEST_CRASH_AT=<point>) at each stage of a submit burst at -j 4,
 * against a standalone emulator whose request log counts what was paid for; then re-runs:
 * - by default no accepted cache key is ever submitted twice; nodes left as an intent without
 *   a request id are "maybe paid", reported (summary, exit 75) and not submitted again;
 * - with --resubmit-uncertain each of them is submitted exactly once more, with the intent's seed.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../../src/index.js';
import type { RequestLogEntry } from '../../../src/emulator/index.js';
import { cliEnv, ensureBuilt, spawnCli, type CliChild } from '../../helpers/cli-spawn.js';
import {
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
const children: CliChild[] = [];

beforeAll(ensureBuilt, 180_000);
afterEach(async () => {
  for (const c of children.splice(0))
    if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
  await emulator?.close();
  await project?.cleanup();
  emulator = undefined;
  project = undefined;
});

const runcomfyEnv = (e: EmulatorHandle): Record<string, string> => ({
  RUNCOMFY_MODEL_API_BASE: e.baseUrl,
  KONTEXT_ALLOW_HOSTS: '127.0.0.1',
  RUNCOMFY_TOKEN: 'test-token',
});

/** Accepted submits per (prompt, input, seed): the cache key as the API saw it. */
function acceptedByBody(log: readonly RequestLogEntry[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of log) {
    if (e.internal || e.method !== 'POST' || !e.path.startsWith('/v1/models/') || e.status !== 200) continue;
    const b = e.body ?? {};
    const k = JSON.stringify([b['prompt'], b['image_url'], b['seed']]);
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

function submitsOf(log: readonly RequestLogEntry[], prompt: string): RequestLogEntry[] {
  return log.filter((e) => !e.internal && e.method === 'POST' && e.body?.['prompt'] === prompt);
}

interface Entry {
  readonly node: string;
  readonly seed: number;
  readonly request_id?: string;
  readonly body_sha256?: string;
}

async function journal(p: Project): Promise<Entry[]> {
  const dir = join(p.cacheDir, 'journal');
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json'));
  return Promise.all(names.map(async (n) => JSON.parse(await readFile(join(dir, n), 'utf8')) as Entry));
}

const POINTS = ['after-intent', 'after-submit-sent', 'after-submit-response', 'after-request-id'] as const;

describe('intent before money (built CLI killed at each stage of a submit)', () => {
  for (const point of POINTS) {
    it(`kill -9 ${point}: nothing paid twice; uncertain nodes reported, resubmitted once on request`, async () => {
      emulator = await startEmulator({ queueMs: 20, runMs: 150 });
      const em = emulator;
      const env = runcomfyEnv(em);
      project = await createProject(
        recipeYaml(PASSES, ['hosting: { mode: inline }']).replace('provider: emulator', 'provider: runcomfy'),
      );
      const child = spawnCli(['run', project.recipe, '-j', '4', '--json'], {
        cwd: project.root,
        env: cliEnv(project.root, { ...env, KONTEXT_TEST_HOOKS: '1', KONTEXT_TEST_CRASH_AT: point }),
      });
      children.push(child);
      const crashed = await child.done;
      expect(crashed.signal, child.output()).toBe('SIGKILL');

      const left = await journal(project);
      expect(left.length).toBeGreaterThan(0);
      for (const e of left) expect(e.body_sha256).toMatch(/^[0-9a-f]{64}$/);
      const intents = left.filter((e) => e.request_id === undefined);
      const uncertain = intents.map((e) => e.node).sort();
      if (point === 'after-request-id') expect(left.some((e) => e.request_id !== undefined)).toBe(true);
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
      expect((await journal(project)).map((e) => e.node).sort()).toEqual(uncertain); // still known, seeds kept

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
      expect(await journal(project)).toEqual([]);
    }, 60_000);
  }
});
