/**
 * `kontext run --watch` as a real child process (the BUILT CLI) against a standalone emulator:
 * outputs the lock names that are deleted while watching (a single file, a `save:` copy, the
 * whole out folder) come back at once from the cache, with no new request, and restoring them
 * starts no further cycle (the watcher never loops on its own writes).
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../../src/index.js';
import { cli, cliEnv, ensureBuilt, spawnCli, type CliChild } from '../../helpers/cli-spawn.js';
import { createProject, isSubmit, lockMatchesFiles, until, type Project } from '../../helpers/run-fixtures.js';
import { cliEvents, countEvents, watchRecipe } from './harness.js';

let emulator: EmulatorHandle | undefined;
let project: Project | undefined;
let child: CliChild | undefined;

beforeAll(ensureBuilt, 180_000);
afterEach(async () => {
  if (child && child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
  await emulator?.close();
  await project?.cleanup();
  child = emulator = project = undefined;
});

const events = cliEvents;
const count = countEvents;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('kontext run --watch: outputs deleted while watching', () => {
  it('come back from the cache (a file, a save: copy, then out/ itself), with no request and no loop', async () => {
    emulator = await startEmulator({ queueMs: 10, runMs: 20 });
    const em = emulator;
    const recipe = (b: string): string =>
      watchRecipe([
        ['a', 'Keep the face unchanged. Make the sky orange.', 'save: final/a.{ext}'],
        ['b', b],
      ]);
    const p = await createProject(recipe('Keep the face unchanged. Add a red scarf.'));
    project = p;
    const env = cliEnv(p.root, {
      RUNCOMFY_MODEL_API_BASE: em.baseUrl,
      KONTEXT_ALLOW_HOSTS: '127.0.0.1',
      RUNCOMFY_TOKEN: 'test-token',
    });
    const first = await cli(['run', p.recipe], { cwd: p.root, env });
    expect(first.code, first.stderr).toBe(0);
    const submits = (): number => em.requestLog().filter(isSubmit).length;
    expect(submits()).toBe(2);
    const lock = await p.readLock();
    const outputs = Object.values(lock.nodes).map((e) => join(p.root, e.output));
    const saved = join(p.root, 'final', 'a.png');
    const all = [...outputs, saved];
    expect(all.every((f) => existsSync(f))).toBe(true);

    const c = spawnCli(['run', '--watch', p.recipe, '--json'], { cwd: p.root, env });
    child = c;
    const detail = (): string => `output: ${c.output()}`;
    /** Every cycle so far has run to its end, and no new one starts for a while: no loop. */
    const quiet = async (what: string): Promise<void> => {
      await until(() => events(c).at(-1)?.type === 'run-summary', 10_000, what, detail);
      const cycles = count(c, 'watch-cycle');
      await sleep(1000);
      expect(count(c, 'watch-cycle'), detail()).toBe(cycles);
    };
    await until(() => count(c, 'run-summary') >= 1, 15_000, 'first cycle', detail);
    await quiet('first cycle'); // the outputs' watcher is started beside the run, not before it

    // One output, and the save: copy outside out/: restored by a cycle, from the cache.
    await rm(outputs[1] as string);
    await rm(saved);
    await until(() => all.every((f) => existsSync(f)), 10_000, 'b and the save: copy restored', detail);
    await quiet('b restored');
    const changed = events(c).flatMap((e) => (e.type === 'watch-cycle' ? e.changed : []));
    expect(changed.sort()).toEqual([outputs[1], saved].sort());

    // The whole out folder; then a file in the out folder made again (watched anew).
    await rm(join(p.root, 'out'), { recursive: true });
    await until(() => outputs.every((f) => existsSync(f)), 10_000, 'out/ restored', detail);
    await quiet('out/ restored');
    await rm(outputs[0] as string);
    await until(() => existsSync(outputs[0] as string), 10_000, 'a restored in the new out/', detail);
    await quiet('a restored');
    const restored = events(c).flatMap((e) => (e.type === 'node-cached' && e.restored ? [e.node] : []));
    expect(new Set(restored)).toEqual(new Set(['a', 'b']));

    expect(submits()).toBe(2);
    expect((await lockMatchesFiles(p)).every((r) => r.ok)).toBe(true);

    // The recipe is still watched as before (the two watchers shared the project folder meanwhile).
    await p.writeRecipe(recipe('Keep the face unchanged. Add a blue scarf.'));
    await until(() => submits() === 3, 10_000, 'the edited pass run', detail);
    await quiet('the edit run');
    c.child.kill('SIGINT');
    expect((await c.done).code, detail()).toBe(130);
  }, 90_000);
});
