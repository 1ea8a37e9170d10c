/**
 * Two runs at once, as real CLI processes against one standalone emulator:
 * - the same recipe twice (random seeds, fixed seeds): the second waits for the first (and says
 *   so), total paid == node count, no key accepted twice, out/ matches the lock afterwards;
 * - two recipes with the same passes sharing a store: each key is paid once (the per-key claim);
 * - a run lock left by a killed run is taken over; an out/ file of the right size but other
 *   bytes is restored from the cache.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../../src/index.js';
import { ensureBuilt, type CliChild } from '../../helpers/cli-spawn.js';
import { runChildren, runcomfyAt } from '../../helpers/run-children.js';
import {
  acceptedByBody,
  createProject,
  eventsOf,
  lockMatchesFiles,
  recipeYaml,
  runIn,
  sha256File,
  summaryOf,
  until,
  type Project,
} from '../../helpers/run-fixtures.js';

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

function passes(fixedSeeds: boolean): [string, string, ...string[]][] {
  const seed = (n: number): string[] => (fixedSeeds ? [`seed: ${n}`] : []);
  return [
    ['a1', 'Keep the face unchanged. Make the sky orange.', 'from: photo', ...seed(11)],
    ['a2', 'Keep the face unchanged. Add a red scarf.', 'from: photo', ...seed(12)],
    ['a3', 'Keep the face unchanged. Add round glasses.', 'from: photo', ...seed(13)],
    ['b1', 'Keep everything else unchanged. Add falling snow.', 'from: a1', ...seed(14)],
    ['b2', 'Keep everything else unchanged. Add falling rain.', 'from: a2', ...seed(15)],
  ];
}

function recipe(fixedSeeds: boolean, name = 'test'): string {
  return recipeYaml(passes(fixedSeeds), ['hosting: { mode: inline }'])
    .replace('provider: emulator', 'provider: runcomfy')
    .replace('name: test', `name: ${name}`);
}

const spawnRun = (p: Project, recipePath: string, env: Record<string, string>): CliChild =>
  children.spawn(['run', recipePath, '-j', '4'], p, env);

describe('two runs at once', () => {
  for (const fixedSeeds of [false, true]) {
    it(`same recipe twice (${fixedSeeds ? 'fixed' : 'random'} seeds): one payment per node, out/ = lock`, async () => {
      emulator = await startEmulator({ queueMs: 20, runMs: 300 });
      project = await createProject(recipe(fixedSeeds));
      const env = runcomfyAt(emulator);
      const first = spawnRun(project, project.recipe, env);
      const second = spawnRun(project, project.recipe, env);
      const [r1, r2] = await Promise.all([first.done, second.done]);
      expect([r1.code, r2.code], first.output() + second.output()).toEqual([0, 0]);
      expect(first.output() + second.output()).toMatch(/waiting for another kontext run \(pid \d+\) on /);
      const accepted = acceptedByBody(emulator.requestLog());
      expect([...accepted.values()].reduce((a, b) => a + b, 0)).toBe(passes(fixedSeeds).length);
      expect([...accepted.values()].every((n) => n === 1)).toBe(true);
      expect(Object.keys((await project.readLock()).nodes)).toHaveLength(passes(fixedSeeds).length);
      expect((await lockMatchesFiles(project)).every((r) => r.ok)).toBe(true);
    }, 60_000);
  }

  it('two recipes with the same passes sharing a store: each key is paid for once', async () => {
    emulator = await startEmulator({ queueMs: 20, runMs: 300 });
    project = await createProject(recipe(true));
    const other = join(project.root, 'other.yml');
    await writeFile(other, recipe(true, 'other'));
    const env = runcomfyAt(emulator);
    const [r1, r2] = await Promise.all([
      spawnRun(project, project.recipe, env).done,
      spawnRun(project, other, env).done,
    ]);
    expect([r1.code, r2.code], r1.stderr + r2.stderr).toEqual([0, 0]);
    const accepted = acceptedByBody(emulator.requestLog());
    expect([...accepted.values()].every((n) => n === 1)).toBe(true);
    expect(accepted.size).toBe(passes(true).length);
    expect((await lockMatchesFiles(project)).every((r) => r.ok)).toBe(true);
    // Outputs are <out>/<pass>/<source>.<ext>, the source being "photo".
    for (const id of ['a1', 'b2'])
      expect(await sha256File(join(project.root, 'out', 'other', id, 'photo.png'))).toBe(
        await sha256File(join(project.outDir, id, 'photo.png')),
      );
  }, 60_000);

  it("two recipes sharing a store, one starting while the other's requests run: waits for their results", async () => {
    // Without waiting, the second run re-attached to the first one's live requests: it polled and
    // downloaded them a second time and, once done, dropped the first run's journal entries, which
    // the first then wrote again with a false "the cache dir was deleted" warning.
    emulator = await startEmulator({ queueMs: 20, runMs: 3000 });
    const em = emulator;
    project = await createProject(recipe(true));
    const other = join(project.root, 'other.yml');
    await writeFile(other, recipe(true, 'other'));
    const env = runcomfyAt(em);
    const first = spawnRun(project, project.recipe, env);
    const polled = (): boolean => em.requestLog().some((e) => e.method === 'GET' && e.path.startsWith('/v1/requests/'));
    await until(polled, 20_000, 'the first run to poll a journaled request', first.output);
    const second = spawnRun(project, other, env);
    const [r1, r2] = await Promise.all([first.done, second.done]);
    expect([r1.code, r2.code], first.output() + second.output()).toEqual([0, 0]);
    expect(first.output() + second.output()).not.toMatch(/was deleted during the run/);
    const accepted = acceptedByBody(em.requestLog());
    expect([...accepted.values()].every((n) => n === 1)).toBe(true);
    // Each request's output downloaded once: by the run that submitted it.
    const downloads = new Map<string, number>();
    for (const e of em.requestLog()) {
      const id = /^\/files\/([^/]+)\//.exec(e.path)?.[1];
      if (e.method === 'GET' && !e.internal && id !== undefined) downloads.set(id, (downloads.get(id) ?? 0) + 1);
    }
    expect(downloads.size).toBe(passes(true).length);
    expect(
      [...downloads.values()].every((n) => n === 1),
      JSON.stringify([...downloads]),
    ).toBe(true);
    expect((await lockMatchesFiles(project)).every((r) => r.ok)).toBe(true);
  }, 60_000);

  it('a run lock left by a killed run is taken over', async () => {
    emulator = await startEmulator({ queueMs: 20, runMs: 5_000 });
    project = await createProject(recipe(true));
    const env = runcomfyAt(emulator);
    const child = spawnRun(project, project.recipe, env);
    const lck = `${project.lockPath}.run.lck`;
    // The holder creates the file, then writes its pid into it: wait for the content, not the name.
    const holder = async (): Promise<unknown> => {
      try {
        return JSON.parse(await readFile(lck, 'utf8'));
      } catch {
        return null;
      }
    };
    await until(async () => (await holder()) !== null, 20_000, 'the run lock', child.output);
    expect(await holder()).toMatchObject({ pid: child.child.pid });
    child.child.kill('SIGKILL');
    await child.done;
    emulator.setScenario({ run_ms: 20 });
    const rerun = await runIn(project, { jobs: 4 }, { env });
    expect(summaryOf(rerun).exitCode).toBe(0);
    expect(eventsOf(rerun.events, 'warning').some((w) => w.message.startsWith('waiting for another'))).toBe(false);
    expect((await lockMatchesFiles(project)).every((r) => r.ok)).toBe(true);
    expect(await stat(lck).catch(() => null)).toBeNull();
  }, 60_000);

  it('a same-size out/ file with other bytes is a hand edit: kept (exit 65); --overwrite restores it', async () => {
    emulator = await startEmulator({ queueMs: 5, runMs: 10 });
    project = await createProject(recipe(true));
    const env = runcomfyAt(emulator);
    expect(summaryOf(await runIn(project, { jobs: 4 }, { env })).exitCode).toBe(0);
    const out = join(project.outDir, 'b1', 'photo.png');
    const good = await sha256File(out);
    const bytes = await readFile(out);
    bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0xff; // same size, other content
    await writeFile(out, bytes);
    const before = emulator.requestLog().length;
    const kept = await runIn(project, { jobs: 4 }, { env });
    expect(summaryOf(kept)).toMatchObject({ exitCode: 65, submitted: 0 });
    expect(await readFile(out)).toEqual(bytes);
    const rerun = await runIn(project, { jobs: 4, overwrite: true }, { env });
    expect(summaryOf(rerun)).toMatchObject({ exitCode: 0, submitted: 0 });
    expect(eventsOf(rerun.events, 'node-cached').find((e) => e.node === 'b1')?.restored).toBe(true);
    expect(await sha256File(out)).toBe(good);
    expect(
      emulator
        .requestLog()
        .slice(before)
        .filter((e) => !e.internal && e.method === 'POST'),
    ).toEqual([]);
    // A no-op re-run leaves every file alone.
    const noop = await runIn(project, { jobs: 4 }, { env });
    expect(eventsOf(noop.events, 'node-cached').every((e) => !e.restored)).toBe(true);
  }, 60_000);
});
