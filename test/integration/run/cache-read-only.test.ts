/**
 * Restored CI caches. A cache dir the run can read but not write (a cache restored from another
 * user's job, a read-only volume in a container): the run works in a stand-in store
 * (open-cache.ts), and a result the read-only dir holds, its blob checked, is taken from it: not
 * paid again, and `--frozen` (the assemble job) finds it. The read-only dir is a real read-only
 * bind mount (needs `mount`: root, or a container that allows it; skipped and said on stderr
 * otherwise). And a cache whose files belong to another user: what cannot be read is a miss.
 */
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunEvent, startEmulator } from '../../../src/index.js';
import { cli, cliEnv, ensureBuilt, spawnCli } from '../../helpers/cli-spawn.js';
import { runcomfyAt } from '../../helpers/run-children.js';
import {
  createProject,
  eventsOf,
  lockMatchesFiles,
  recipeYaml,
  runIn,
  startRig,
  summaryOf,
  type Project,
  type Rig,
  until,
} from '../../helpers/run-fixtures.js';

const run = promisify(execFile);
/** The user a restored cache's files do not belong to (the tests run as root to chown). */
const NOBODY = 65534;
const RECIPE = recipeYaml([
  ['sky', 'Keep the face unchanged. Make the sky orange.', 'from: photo'],
  ['snow', 'Keep everything else unchanged. Add falling snow.'],
]);

let cannotMount: string | null = null;
let rig: Rig | undefined;
let project: Project | undefined;
let other: Project | undefined;
let base: string | undefined;
const mounts: string[] = [];

beforeAll(async () => {
  await ensureBuilt();
  const probe = await mkdtemp(join(tmpdir(), 'kontext-mount-probe-'));
  try {
    await run('mount', ['--bind', probe, probe]);
    await run('umount', [probe]);
  } catch (e) {
    cannotMount = `cannot bind-mount here (${(e as Error).message.split('\n')[0] ?? ''})`;
  } finally {
    await rm(probe, { recursive: true, force: true });
  }
});
afterEach(async () => {
  for (const dir of mounts.splice(0).reverse()) await run('umount', ['-l', dir]).catch(() => undefined);
  await rig?.close();
  await project?.cleanup();
  await other?.cleanup();
  if (base) await rm(base, { recursive: true, force: true });
  rig = project = other = base = undefined;
});
afterAll(() => {
  if (cannotMount !== null) process.stderr.write(`cache-read-only.test.ts: SKIPPED: ${cannotMount}\n`);
});

/** `dir` as a read-only view at `at`. */
async function mountReadOnly(dir: string, at: string): Promise<void> {
  await mkdir(at, { recursive: true });
  await run('mount', ['--bind', dir, at]);
  mounts.push(at);
  await run('mount', ['-o', 'remount,bind,ro', at]);
}

describe('a read-only cache dir', () => {
  it('its results are taken (blob checked), not paid again; --frozen finds them', async (t) => {
    if (cannotMount !== null) return t.skip();
    rig = await startRig();
    project = await createProject(RECIPE);
    base = await mkdtemp(join(tmpdir(), 'kontext-ro-cache-'));
    const rw = join(base, 'rw');
    const ro = join(base, 'ro');
    const first = await runIn(project, {}, { rig, env: { KONTEXT_CACHE_DIR: rw } });
    expect(summaryOf(first)).toMatchObject({ exitCode: 0, submitted: 2 });
    // A fresh checkout: the lock is committed, out/ is not.
    await rm(join(project.root, 'out'), { recursive: true, force: true });
    await mountReadOnly(rw, ro);
    const env = { KONTEXT_CACHE_DIR: ro };

    const frozen = await runIn(project, { frozen: true }, { rig, env });
    expect(summaryOf(frozen)).toMatchObject({ exitCode: 0, cached: 2, submitted: 0 });
    await rm(join(project.root, 'out'), { recursive: true, force: true });
    const again = await runIn(project, {}, { rig, env });
    expect(summaryOf(again)).toMatchObject({ exitCode: 0, cached: 2, submitted: 0 });
    expect(eventsOf(again.events, 'warning').map((e) => e.message)).toEqual([
      expect.stringContaining(`cache dir ${ro} is not writable`),
    ]);
    expect((await lockMatchesFiles(project)).every((r) => r.ok)).toBe(true);
    expect(rig.submits()).toHaveLength(2);
  }, 60_000);

  it('a request in flight there (a run that can write it) is waited for, not paid again', async (t) => {
    if (cannotMount !== null) return t.skip();
    // Jobs long enough for the second run to start while the first one's are at the API. One pass:
    // the writing run never sees the reader's claims (the README says so), so the reader, taking the
    // first pass's result the moment it lands, may claim a second pass before the writer does.
    rig = await startRig();
    const r = rig;
    // The writer's request runs until the reader says it waits for it.
    const release = r.emulator.hold('running');
    const waiting = (e: RunEvent): void => {
      if (e.type === 'warning' && e.message.startsWith('waiting for another kontext run')) release();
    };
    const one = recipeYaml([['sky', 'Keep the face unchanged. Make the sky orange.', 'from: photo']]);
    project = await createProject(one);
    other = await createProject(one);
    base = await mkdtemp(join(tmpdir(), 'kontext-ro-cache-'));
    const rw = join(base, 'rw');
    const ro = join(base, 'ro');
    await mkdir(rw, { recursive: true });
    await mountReadOnly(rw, ro);
    // Another user's run (here: the same cache through a read-only view), in another project.
    const writer = runIn(project, {}, { rig: r, env: { KONTEXT_CACHE_DIR: rw } });
    await until(() => r.submits().length === 1, 20_000, 'the first run submitting');
    const reader = await runIn(other, {}, { rig: r, env: { KONTEXT_CACHE_DIR: ro }, onEvent: waiting });
    expect(summaryOf(await writer)).toMatchObject({ exitCode: 0, submitted: 1 });
    expect(summaryOf(reader)).toMatchObject({ exitCode: 0, submitted: 0, done: 1 });
    expect(r.submits()).toHaveLength(1);
    const [first, ...rest] = eventsOf(reader.events, 'warning').map((e) => e.message);
    expect(first).toContain("runs that can write it do not see this run's requests in flight");
    expect(rest).toEqual([expect.stringMatching(/^waiting for another kontext run/)]);
    expect((await lockMatchesFiles(other)).every((x) => x.ok)).toBe(true);
  }, 60_000);

  it("a dead run's entry there whose request the API no longer knows: given up once, then submitted", async (t) => {
    if (cannotMount !== null) return t.skip();
    rig = await startRig();
    const r = rig;
    project = await createProject(RECIPE);
    other = await createProject(RECIPE);
    base = await mkdtemp(join(tmpdir(), 'kontext-ro-cache-'));
    const rw = join(base, 'rw');
    const ro = join(base, 'ro');
    expect(summaryOf(await runIn(project, {}, { rig: r, env: { KONTEXT_CACHE_DIR: rw } })).submitted).toBe(2);
    // Its results gone; a dead run's entry for the first pass, with an id this API never gave (another account's).
    await rm(join(rw, 'records'), { recursive: true, force: true });
    await rm(join(rw, 'blobs'), { recursive: true, force: true });
    const sky = (await project.readLock()).nodes['sky'];
    if (!sky) throw new Error('no lock entry');
    const gone = 'aaaaaaaa-0000-4000-8000-000000000000';
    const { key, provider, model, seed, input_sha256 } = sky;
    const entry = { key, node: 'sky', provider, model, seed, input_sha256, request_id: gone, pid: 999_999_999 };
    await writeFile(
      join(rw, 'journal', `${key}.json`),
      `${JSON.stringify({ ...entry, run: 'dead', submitted_at: '2026-12-01T00:00:00.000Z' })}\n`,
    );
    await mountReadOnly(rw, ro);
    const before = r.calls().length;
    const again = await runIn(other, {}, { rig: r, env: { KONTEXT_CACHE_DIR: ro } });
    // Re-attached once (gone: 404), then submitted; it looped on the entry it cannot remove before.
    expect(summaryOf(again)).toMatchObject({ exitCode: 0, submitted: 2 });
    const reads = r
      .calls()
      .slice(before)
      .filter((c) => c.path.includes(gone));
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.length).toBeLessThan(10);
  }, 60_000);

  it("a dead run's entry there that the lock names, its result lost: attached to again, not paid", async (t) => {
    if (cannotMount !== null) return t.skip();
    rig = await startRig();
    const r = rig;
    project = await createProject(RECIPE);
    base = await mkdtemp(join(tmpdir(), 'kontext-ro-cache-'));
    const rw = join(base, 'rw');
    const ro = join(base, 'ro');
    expect(summaryOf(await runIn(project, {}, { rig: r, env: { KONTEXT_CACHE_DIR: rw } })).submitted).toBe(2);
    // The results gone everywhere (cache, out/); the journal still holds sky's request, which the lock names.
    await rm(join(rw, 'records'), { recursive: true, force: true });
    await rm(join(rw, 'blobs'), { recursive: true, force: true });
    await rm(join(project.root, 'out'), { recursive: true, force: true });
    const sky = (await project.readLock()).nodes['sky'];
    if (!sky) throw new Error('no lock entry');
    const { key, provider, model, seed, input_sha256, request_id } = sky;
    const entry = { key, node: 'sky', provider, model, seed, input_sha256, request_id, pid: 999_999_999, run: 'dead' };
    await writeFile(
      join(rw, 'journal', `${key}.json`),
      `${JSON.stringify({ ...entry, submitted_at: '2026-12-01T00:00:00.000Z' })}\n`,
    );
    await mountReadOnly(rw, ro);
    const again = await runIn(project, {}, { rig: r, env: { KONTEXT_CACHE_DIR: ro } });
    // sky re-attached to its request (downloaded again); snow's key is sky's output's: paid again, once.
    expect(summaryOf(again)).toMatchObject({ exitCode: 0, submitted: 1 });
    expect(r.submits()).toHaveLength(3);
    expect((await project.readLock()).nodes['sky']?.request_id).toBe(request_id);
  }, 60_000);

  it('a damaged blob there is a miss (that node is paid again), never a failure', async (t) => {
    if (cannotMount !== null) return t.skip();
    rig = await startRig();
    project = await createProject(RECIPE);
    base = await mkdtemp(join(tmpdir(), 'kontext-ro-cache-'));
    const rw = join(base, 'rw');
    const ro = join(base, 'ro');
    expect(summaryOf(await runIn(project, {}, { rig, env: { KONTEXT_CACHE_DIR: rw } })).submitted).toBe(2);
    await rm(join(project.root, 'out'), { recursive: true, force: true });
    // A partial restore: every blob cut short.
    for (const d of await readdir(join(rw, 'blobs'), { recursive: true, withFileTypes: true }))
      if (d.isFile()) await truncate(join(d.parentPath, d.name), 100);
    await mountReadOnly(rw, ro);
    const again = await runIn(project, {}, { rig, env: { KONTEXT_CACHE_DIR: ro } });
    expect(summaryOf(again)).toMatchObject({ exitCode: 0, done: 2, submitted: 2 });
    expect((await lockMatchesFiles(project)).every((r) => r.ok)).toBe(true);
  }, 60_000);
});

/**
 * A project paid for as root, its out/ gone, then `restore` (the project chowned to NOBODY, the
 * cache's modes as a restore left them) before `rerun` runs the CLI as NOBODY.
 */
async function asAnotherOwner(
  restore: (p: Project) => Promise<void>,
  rerun: (runAsNobody: () => ReturnType<typeof spawnCli>['done']) => Promise<void>,
): Promise<void> {
  const emulator = await startEmulator({ queueMs: 5, runMs: 10 });
  try {
    project = await createProject(
      RECIPE.replace('provider: emulator', 'provider: runcomfy\nhosting: { mode: inline }'),
    );
    const p = project;
    const env = cliEnv(p.root, runcomfyAt(emulator));
    expect((await cli(['run', p.recipe], { cwd: p.root, env })).code).toBe(0);
    await rm(join(p.root, 'out'), { recursive: true, force: true });
    await run('chown', ['-R', `${NOBODY}:${NOBODY}`, p.root]);
    await restore(p);
    await rerun(() => spawnCli(['run', p.recipe], { cwd: p.root, env, uid: NOBODY, gid: NOBODY }).done);
  } finally {
    await emulator.close();
  }
}

const UNREADABLE_SAID = /cannot read .* \(EACCES\): cache entries this process may not read are misses/g;

describe('cache files of another owner', () => {
  it('a record or blob this user may not read is a miss, said once, never exit 70', async (t) => {
    if (process.getuid?.() !== 0) return t.skip();
    // The cache as a restore left it: the folders this user's, every record and blob root's, 0600.
    const restore = async (p: Project): Promise<void> => {
      for (const sub of ['records', 'blobs'])
        for (const d of await readdir(join(p.cacheDir, sub), { recursive: true, withFileTypes: true }))
          if (d.isFile()) {
            await chown(join(d.parentPath, d.name), 0, 0);
            await chmod(join(d.parentPath, d.name), 0o600);
          }
    };
    await asAnotherOwner(restore, async (runAsNobody) => {
      const again = await runAsNobody();
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr.match(UNREADABLE_SAID)).toHaveLength(1);
      expect(again.stderr).toMatch(/done 2 .* submitted 2/);
      expect((await lockMatchesFiles(project as Project)).every((r) => r.ok)).toBe(true);
      // What this user wrote in their place is read by the next run: nothing paid.
      expect((await runAsNobody()).stderr).toMatch(/cached 2 .* submitted 0/);
    });
  }, 60_000);

  it('in a cache dir this user may not write either: the same one warning, beside the read-through one', async (t) => {
    if (process.getuid?.() !== 0) return t.skip();
    // The whole cache root's (folders 0755, so not writable by this user), files 0600.
    const restore = async (p: Project): Promise<void> => {
      await run('chown', ['-R', '0:0', p.cacheDir]);
      for (const d of await readdir(p.cacheDir, { recursive: true, withFileTypes: true }))
        await chmod(join(d.parentPath, d.name), d.isDirectory() ? 0o755 : 0o600);
      await chmod(p.cacheDir, 0o755);
    };
    await asAnotherOwner(restore, async (runAsNobody) => {
      const again = await runAsNobody();
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toContain(`cache dir ${(project as Project).cacheDir} is not writable`);
      expect(again.stderr.match(UNREADABLE_SAID)).toHaveLength(1);
      expect(again.stderr).toMatch(/done 2 .* submitted 2/);
    });
  }, 60_000);
});
