/**
 * `--shard i/n` with real CLI processes: three shards of one checkout run at once, each with its
 * own local cache and one shared remote (s3rver), against ONE emulator whose request log counts
 * what was paid. Then a fresh copy of the project with a fresh cache (the CI assemble job)
 * pays nothing and writes the whole lock and byte-identical outputs, and `--frozen` passes.
 */
import { copyFile, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../src/index.js';
import { cli, ensureBuilt } from '../helpers/cli-spawn.js';
import { runcomfyEnv } from '../helpers/e2e-kit.js';
import { createProject, isSubmit, type Project } from '../helpers/run-fixtures.js';
import { startS3Server, TEST_AWS_ENV, type TestS3Server } from '../helpers/s3-server.js';

/** A glob over six photos (two are byte copies: distinct instances, distinct node ids), a chain and a branch. */
const SHARD_YAML = `version: 1
name: test
provider: runcomfy
hosting: { mode: inline }
sources:
  shots: assets/*.jpg
passes:
  - id: backdrop
    prompt: Keep the subject unchanged. Replace the background with a grey studio backdrop.
  - id: shadow
    prompt: Keep the subject and the backdrop unchanged. Add a soft contact shadow.
  - id: square
    from: backdrop
    prompt: Keep the subject and the backdrop unchanged. Extend the backdrop to a square frame.
    aspect_ratio: "1:1"
`;
const INSTANCES = 6;
const NODES = INSTANCES * 3;

/** A project with the sample photos plus two copies under other names. */
async function shardProject(): Promise<Project> {
  const p = await createProject(SHARD_YAML);
  await copyFile(join(p.root, 'assets', 'pet-chelsea.jpg'), join(p.root, 'assets', 'zz-copy-1.jpg'));
  await copyFile(join(p.root, 'assets', 'scene-rocket.jpg'), join(p.root, 'assets', 'zz-copy-2.jpg'));
  return p;
}

let s3: TestS3Server;
let emulator: EmulatorHandle;
const projects: Project[] = [];

beforeAll(async () => {
  await ensureBuilt();
  s3 = await startS3Server();
  emulator = await startEmulator({ queueMs: 10, runMs: 40 });
}, 180_000);
afterAll(async () => {
  await emulator?.close();
  await s3?.close();
  for (const p of projects.splice(0)) await p.cleanup();
});

function env(p: Project): Record<string, string> {
  return runcomfyEnv(emulator, p.root, {
    ...TEST_AWS_ENV,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    KONTEXT_REMOTE_CACHE: `s3://${s3.bucket}/team`,
  });
}

function submits(): { prompt: string; seed: number }[] {
  return emulator
    .requestLog()
    .filter(isSubmit)
    .map((e) => e.body as { prompt: string; seed: number });
}

function ran(stderr: string): string[] {
  return [...stderr.matchAll(/^done\s+(\S+@\S+)/gm)].map((m) => m[1] ?? '').sort();
}

describe('--shard across processes, then the assemble run', () => {
  it('three concurrent shards pay each node once; a fresh assemble pays 0, same lock and bytes', async () => {
    const a = await shardProject();
    projects.push(a);
    const runShard = (i: number): ReturnType<typeof cli> =>
      cli(['run', 'recipe.yml', '--shard', `${i}/3`, '--cache-dir', join(a.root, `.cache-${i}`)], {
        cwd: a.root,
        env: env(a),
      });
    const results = await Promise.all([runShard(1), runShard(2), runShard(3)]);
    for (const r of results) expect(r.code, r.stderr).toBe(0);

    // Paid: every node exactly once, no key twice (the derived seeds make each request distinct).
    const paid = submits();
    expect(paid.length).toBe(NODES);
    expect(new Set(paid.map((b) => `${b.prompt}|${b.seed}`)).size).toBe(NODES);
    // Each shard ran whole chains, 3 nodes per instance, two instances each, and no node twice.
    const perShard = results.map((r) => ran(r.stderr));
    expect(perShard.map((s) => s.length)).toEqual([6, 6, 6]);
    expect(new Set(perShard.flat()).size).toBe(NODES);
    for (const s of perShard) {
      const instances = new Set(s.map((id) => id.split('@')[1]));
      expect(instances.size).toBe(2);
      for (const inst of instances) expect(s.filter((id) => id.endsWith(`@${inst}`)).length).toBe(3);
    }
    // On one checkout the shards' lock entries merge into one lock.
    expect(Object.keys((await a.readLock()).nodes).length).toBe(NODES);

    // The assemble job: a fresh clone (no lock, no out/) and a fresh local cache.
    const b = await shardProject();
    projects.push(b);
    const before = submits().length;
    const assemble = await cli(['run', 'recipe.yml'], { cwd: b.root, env: env(b) });
    expect(assemble.code, assemble.stderr).toBe(0);
    expect(assemble.stderr).toMatch(/submitted 0\b/);
    expect(submits().length).toBe(before);
    const lockA = await a.readLock();
    const lockB = await b.readLock();
    expect(Object.keys(lockB.nodes).sort()).toEqual(Object.keys(lockA.nodes).sort());
    for (const [id, entry] of Object.entries(lockA.nodes)) {
      expect(lockB.nodes[id]).toMatchObject({ seed: entry.seed, key: entry.key, output_sha256: entry.output_sha256 });
      const bytesA = await readFile(join(a.root, entry.output));
      const bytesB = await readFile(join(b.root, lockB.nodes[id]?.output ?? ''));
      expect(bytesB.equals(bytesA)).toBe(true);
    }

    // --frozen in yet another fresh clone and cache: everything resolves from the remote, exit 0, 0 requests.
    const c = await shardProject();
    projects.push(c);
    const frozen = await cli(['run', 'recipe.yml', '--frozen'], { cwd: c.root, env: env(c) });
    expect(frozen.code, frozen.stderr).toBe(0);
    expect(submits().length).toBe(before);
    expect(Object.keys((await c.readLock()).nodes).length).toBe(NODES);

    // One more photo: --frozen lists its chain and makes no request to the API nor any upload.
    await copyFile(join(c.root, 'assets', 'product-coffee.jpg'), join(c.root, 'assets', 'zz-new.jpg'));
    const puts = (): number => s3.requests.filter((r) => r.method === 'PUT').length;
    const apiCalls = (): number => emulator.requestLog().filter((e) => !e.internal).length;
    const [putsBefore, callsBefore] = [puts(), apiCalls()];
    const red = await cli(['run', 'recipe.yml', '--frozen'], { cwd: c.root, env: env(c) });
    expect(red.code, red.stderr).toBe(65);
    expect(red.stderr).toContain('  backdrop@zz-new: new, would need a request');
    expect(red.stderr).toContain('  shadow@zz-new: blocked by backdrop@zz-new');
    expect(red.stderr).toContain('  square@zz-new: blocked by backdrop@zz-new');
    expect([puts(), apiCalls()]).toEqual([putsBefore, callsBefore]);
  }, 180_000);

  it('a shard whose remote cannot take its results pays nothing: 75 (uploads off: 77); fixed: pays once', async () => {
    const p = await shardProject();
    projects.push(p);
    // Requests no other test here makes: the remote holds none of their results yet.
    await p.writeRecipe(SHARD_YAML.replaceAll('grey studio', 'pale blue studio'));
    const down = { ...env(p), AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9' }; // nothing listens: refused
    const before = submits().length;
    const first = await cli(['run', 'recipe.yml', '--shard', '1/3'], { cwd: p.root, env: down });
    expect(first.code, first.stderr).toBe(75);
    expect(submits().length - before).toBe(0); // the remote down from the start: nothing submitted (walk-y 1)
    expect(first.stderr).toMatch(
      new RegExp(
        `^warning +shard 1/3: submitted nothing \\(6 nodes not run\\): the remote cache s3://${s3.bucket}/team ` +
          'is not usable',
        'm',
      ),
    );
    expect(first.stderr).toMatch(/^skipped +\S+ +not submitted: the shard's remote cache cannot take its results$/m);

    // The same runner, the remote back: its nodes paid once, uploaded, exit 0.
    // The objects written (a blob and a record each), not the shard's write check.
    const puts = (): number =>
      s3.requests.filter((r) => r.method === 'PUT' && !r.path.endsWith('/v1/write-check')).length;
    const putsBefore = puts();
    const again = await cli(['run', 'recipe.yml', '--shard', '1/3'], { cwd: p.root, env: env(p) });
    expect(again.code, again.stderr).toBe(0);
    const paid = submits().length - before;
    expect(paid).toBe(6);
    expect(puts() - putsBefore).toBe(2 * paid); // a blob and a record each

    // A remote the recipe names, not trusted by the user's config: read-only, a retry cannot help (77).
    const r = await shardProject();
    projects.push(r);
    await r.writeRecipe(
      SHARD_YAML.replaceAll('grey studio', 'sand-coloured studio').replace(
        'provider: runcomfy',
        `provider: runcomfy\ncache: { remote: "s3://${s3.bucket}/recipe-named" }`,
      ),
    );
    const { KONTEXT_REMOTE_CACHE: _, ...noEnvRemote } = env(r);
    const paidBefore = submits().length;
    const untrusted = await cli(['run', 'recipe.yml', '--shard', '1/3'], { cwd: r.root, env: noEnvRemote });
    expect(untrusted.code, untrusted.stderr).toBe(77);
    expect(untrusted.stderr).toContain('name its bucket in your user config or pass --trust-recipe-hosting');
    expect(submits().length - paidBefore).toBe(0);
    // As the message says: write access, the same shard again: it pays for its nodes once and uploads them.
    const putsUntrusted = puts();
    const trusted = await cli(['run', 'recipe.yml', '--shard', '1/3', '--trust-recipe-hosting'], {
      cwd: r.root,
      env: noEnvRemote,
    });
    expect(trusted.code, trusted.stderr).toBe(0);
    const paidUntrusted = submits().length - paidBefore;
    expect(paidUntrusted).toBe(6);
    expect(puts() - putsUntrusted).toBe(2 * paidUntrusted);
    // Another machine (a fresh clone and cache) running that shard's nodes pays nothing.
    const r2 = await shardProject();
    projects.push(r2);
    await r2.writeRecipe(await readFile(join(r.root, 'recipe.yml'), 'utf8'));
    const { KONTEXT_REMOTE_CACHE: _r2, ...r2Env } = env(r2);
    const elsewhere = await cli(['run', 'recipe.yml', '--shard', '1/3'], { cwd: r2.root, env: r2Env });
    expect(elsewhere.code, elsewhere.stderr).toBe(0);
    expect(submits().length - paidBefore).toBe(paidUntrusted);

    // Without --shard the remote never fails a run: the same outage is a warning and exit 0.
    const q = await shardProject();
    projects.push(q);
    const plain = await cli(['run', 'recipe.yml', '--only', 'backdrop@zz-copy-1'], {
      cwd: q.root,
      env: { ...env(q), AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9' },
    });
    expect(plain.code, plain.stderr).toBe(0);
  }, 180_000);

  it('the remote down: the summary is the last line and says the exit code (a shard 75, a plain run 0)', async () => {
    const p = await shardProject();
    projects.push(p);
    await p.writeRecipe(SHARD_YAML.replaceAll('grey studio', 'charcoal studio'));
    const down = { ...env(p), AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9' }; // nothing listens: refused
    const lines = (stdout: string): { type: string; exit_code?: number; message?: string }[] =>
      stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string });
    const shard = await cli(['run', 'recipe.yml', '--shard', '1/3', '--json'], { cwd: p.root, env: down });
    expect(shard.code, shard.stderr).toBe(75);
    const events = lines(shard.stdout);
    expect(events.at(-1)).toMatchObject({ type: 'run-summary', exit_code: 75 });
    expect(events.filter((e) => e.type === 'warning' && e.message?.startsWith('shard 1/3: '))).toHaveLength(1);
    // docs/ci.md's `jq -s 'last | .cost_usd // "unknown"'`: the last line has the spend.
    expect(events.at(-1)).toMatchObject({ cost_usd: expect.any(Number) });

    // The text log: the shard's warning, then the summary as the last line.
    const text = await cli(['run', 'recipe.yml', '--shard', '2/3'], { cwd: p.root, env: down });
    expect(text.code, text.stderr).toBe(75);
    const log = text.stderr.trim().split('\n');
    expect(log.at(-1)).toMatch(/^done 0 · cached 0 · failed 0 · skipped 6 · submitted 0 · spent \$0\.00/);
    expect(log.at(-2)).toMatch(/^warning +shard 2\/3: /);

    // Without --shard: it pays and goes on without the remote, exit 0, the remote's notice before the summary.
    const only = await cli(['run', 'recipe.yml', '--json'], { cwd: p.root, env: down });
    expect(only.code, only.stderr).toBe(0);
    const all = lines(only.stdout);
    expect(all.at(-1)).toMatchObject({ type: 'run-summary', exit_code: 0 });
    expect(all.filter((e) => e.type === 'notice' && e.message?.includes('not uploaded'))).toHaveLength(1);
  }, 180_000);

  it('a file name in NFD (macOS) and in NFC (Linux) is one instance: same split, the assemble pays 0', async () => {
    // Two accented names written the way each file system hands them back. `caf~` sorts before
    // `café` in NFC (0x7e < 0xe9) but after it in NFD (`e` 0x65): the order decides which one
    // gets the plain stem and which `-2`, so both the stem and the order must use one form.
    const accented = async (form: 'NFC' | 'NFD'): Promise<Project> => {
      const p = await shardProject();
      projects.push(p);
      const renames: [string, string][] = [
        ['pet-chelsea.jpg', 'café.jpg'],
        ['scene-rocket.jpg', 'caf~.jpg'],
        ['product-coffee.jpg', 'Ångström.jpg'],
      ];
      for (const [from, to] of renames)
        await rename(join(p.root, 'assets', from), join(p.root, 'assets', to.normalize(form)));
      return p;
    };
    const mac = await accented('NFD');
    const linux = await accented('NFC');
    const planIds = async (p: Project): Promise<string[]> => {
      const r = await cli(['plan', 'recipe.yml', '--json'], { cwd: p.root, env: env(p) });
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { nodes: { id: string }[] }).nodes.map((n) => n.id).sort();
    };
    expect(await planIds(mac)).toEqual(await planIds(linux));

    // The shards run on the "macOS" checkout; the assemble job on the "Linux" one finds every key.
    for (const i of [1, 2])
      expect((await cli(['run', 'recipe.yml', '--shard', `${i}/2`], { cwd: mac.root, env: env(mac) })).code).toBe(0);
    const before = submits().length;
    const frozen = await cli(['run', 'recipe.yml', '--frozen'], { cwd: linux.root, env: env(linux) });
    expect(frozen.code, frozen.stderr).toBe(0);
    expect(submits().length).toBe(before);
  }, 180_000);
});
