/**
 * A cache dir that cannot be written runs on a stand-in store in the temp folder (open-cache.ts),
 * removed after the run. Its crash journal outlives it: a run killed with requests in flight is
 * re-attached to them by the next run, which pays nothing again (it paid again before). The
 * BUILT CLI as a real child process, the runcomfy protocol of a standalone emulator here.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../../src/index.js';
import { ensureBuilt } from '../../helpers/cli-spawn.js';
import { runChildren, runcomfyAt } from '../../helpers/run-children.js';
import { acceptedByPrompt, createProject, recipeYaml, until, type Project } from '../../helpers/run-fixtures.js';

const P = { a: 'Keep the face unchanged. Make the sky orange.', b: 'Keep the face unchanged. Add a red scarf.' };

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

/** The stand-in journals in the temp folder: their names, before and after. */
const lastingJournals = async (): Promise<string[]> =>
  (await readdir(tmpdir())).filter((n) => n.startsWith('kontext-journal-'));

describe('the crash journal of a run whose cache dir cannot be written', () => {
  it('kill -9 with requests in flight, then a re-run: re-attached, each node paid once', async () => {
    emulator = await startEmulator({ queueMs: 20, runMs: 3_000 });
    project = await createProject(
      recipeYaml(
        [
          ['a', P.a],
          ['b', P.b],
        ],
        ['hosting: { mode: inline }'],
      ).replace('provider: emulator', 'provider: runcomfy'),
    );
    // A regular file where the cache dir's parent should be: ENOTDIR, so a stand-in.
    await mkdir(join(project.root, 'ro'), { recursive: true });
    await writeFile(join(project.root, 'ro', 'file'), 'in the way');
    const env = { ...runcomfyAt(emulator), KONTEXT_CACHE_DIR: join(project.root, 'ro', 'file', 'cache') };
    const before = new Set(await lastingJournals());
    const em = emulator;
    const p = project;
    // Each submit answered at once, each job running for 3 s.
    const first = children.run(project, env);
    // Both submitted and polled: their request ids are journaled (an entry is written before its first read).
    const polled = (): number =>
      new Set(
        em
          .requestLog()
          .filter((e) => e.method === 'GET' && e.path.endsWith('/status'))
          .map((e) => e.path),
      ).size;
    await until(
      () => polled() >= 2,
      20_000,
      'both requests polled',
      () => first.output(),
    );
    expect(first.output()).toContain('requests in flight to the crash journal');
    first.child.kill('SIGKILL');
    await first.done;
    const second = await children.run(p, { ...env }).done;
    expect(second.code, second.stdout.slice(-3000) + second.stderr).toBe(0);
    expect(Object.fromEntries(acceptedByPrompt(em.requestLog()))).toEqual({ [P.a]: 1, [P.b]: 1 });
    expect(Object.keys((await p.readLock()).nodes).sort()).toEqual(['a', 'b']);
    const dir = (await lastingJournals()).find((n) => !before.has(n)) ?? '';
    expect(await readdir(join(tmpdir(), dir))).toEqual([]);
    await rm(join(tmpdir(), dir), { recursive: true, force: true });
  }, 60_000);
});
