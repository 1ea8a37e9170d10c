/**
 * The completion times a run learns (saved in the cache dir's `poll-times/` for the next run)
 * count from when the accepted submit was sent, not from before a refusal's Retry-After wait:
 * BFL's replies carry no duration, so its samples are the poll loop's own, counted from the
 * request's `submittedAt`. Before, a 429 asking for 2 s put that wait into the sample.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { type EmulatorHandle, startEmulator } from '../../../src/emulator/index.js';
import { runRecipe, type RunEvent } from '../../../src/index.js';
import { createProject, eventsOf, type Project, testRuntime } from '../../helpers/run-fixtures.js';

let emulator: EmulatorHandle | undefined;
let project: Project | undefined;
afterEach(async () => {
  await emulator?.close();
  await project?.cleanup();
  emulator = undefined;
  project = undefined;
});

const RECIPE = `version: 1
name: test
provider: bfl
model: flux-kontext-pro
hosting: { mode: inline }
sources:
  photo: assets/portrait-astronaut.jpg
passes:
  - id: a
    prompt: "Keep the face unchanged. Make the sky orange."
`;

it('a submit refused with Retry-After: 2 — the learned completion time leaves the wait out', async () => {
  emulator = await startEmulator({
    queueMs: 10,
    runMs: 20,
    scenario: { faults: [{ kind: 'http', on: 'submit', nth: 1, status: 429, retry_after: 2 }] },
  });
  project = await createProject(RECIPE);
  const env = { BFL_API_KEY: 'test-key', BFL_API_BASE: emulator.origin, KONTEXT_ALLOW_HOSTS: '127.0.0.1' };
  const events: RunEvent[] = [];
  const result = await runRecipe(
    project.recipe,
    { jobs: 1 },
    { rt: testRuntime(project.root, env), onEvent: (e) => events.push(e) },
  );
  expect(result.kind === 'run' && result.summary.exitCode).toBe(0);
  expect(eventsOf(events, 'node-retry').map((e) => [e.call, e.delay_ms])).toEqual([['submit', 2_000]]);
  const dir = join(project.cacheDir, 'poll-times');
  const files = (await readdir(dir)).filter((f) => f.startsWith('bfl-'));
  expect(files).toHaveLength(1);
  const { samples } = JSON.parse(await readFile(join(dir, files[0] ?? ''), 'utf8')) as { samples: number[] };
  expect(samples).toHaveLength(1);
  // The job takes ~30 ms at the emulator; the wait before it was sent was 2 s.
  expect(samples[0]).toBeLessThan(1_500);
}, 30_000);
