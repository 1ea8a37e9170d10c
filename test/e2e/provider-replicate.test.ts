/**
 * `provider: replicate` end to end: the BUILT CLI against the emulator's Replicate protocol on
 * 127.0.0.1 (REPLICATE_API_BASE), counting every request per route in its request log to prove
 * nothing is created twice.
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../src/index.js';
import { cli, cliEnv, ensureBuilt, spawnCli, type CliResult } from '../helpers/cli-spawn.js';
import { createProject, type Project } from '../helpers/run-fixtures.js';

let emulator: EmulatorHandle;
const projects: Project[] = [];

beforeAll(async () => {
  await ensureBuilt();
  emulator = await startEmulator({ queueMs: 5, runMs: 20 });
}, 180_000);
afterAll(async () => {
  await emulator.close();
});
afterEach(async () => {
  emulator.setScenario({});
  for (const p of projects.splice(0)) await p.cleanup();
});

/** Requests per route since `from` (an index into the log). */
function routes(from: number): Record<'create' | 'read' | 'cancel' | 'download' | 'runcomfy', number> & {
  created: number;
} {
  const log = emulator.requestLog().slice(from);
  const n = (f: (e: (typeof log)[number]) => boolean): number => log.filter(f).length;
  return {
    create: n((e) => e.method === 'POST' && e.path.endsWith('/predictions')),
    created: n((e) => e.method === 'POST' && e.path.endsWith('/predictions') && e.status === 201),
    read: n((e) => e.method === 'GET' && e.path.startsWith('/v1/predictions/')),
    cancel: n((e) => e.path.endsWith('/cancel')),
    download: n((e) => e.path.startsWith('/replicate-delivery/') && !e.internal),
    runcomfy: n((e) => e.method === 'POST' && e.path.startsWith('/v1/models/blackforestlabs/')),
  };
}

const CHAIN = [
  'version: 1',
  'name: test',
  'provider: replicate',
  'model: flux-kontext-pro',
  'sources:',
  '  photo: assets/portrait-astronaut.jpg',
  'passes:',
  '  - id: background',
  '    prompt: Replace the background with a rainy street at night',
  '  - id: jacket',
  '    prompt: Change her jacket to a yellow raincoat',
  '    seed: 42',
  '  - id: umbrella',
  '    prompt: She is now holding an orange umbrella',
].join('\n');

async function project(yaml: string): Promise<Project> {
  const p = await createProject(`${yaml}\n`);
  projects.push(p);
  return p;
}

function env(p: Project, extra: Record<string, string> = {}): Record<string, string> {
  return cliEnv(p.root, {
    REPLICATE_API_BASE: emulator.origin,
    REPLICATE_API_TOKEN: 'r8_e2e-SECRET-token',
    RUNCOMFY_MODEL_API_BASE: emulator.baseUrl,
    RUNCOMFY_TOKEN: 'rc-e2e-token',
    KONTEXT_ALLOW_HOSTS: '127.0.0.1',
    ...extra,
  });
}

function expectExit(r: CliResult, code: number): void {
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(code);
  expect(r.stdout + r.stderr).not.toContain('SECRET');
}

describe('provider: replicate through the CLI', () => {
  it('runs a 3-pass chain with one create per pass, no reads (held creates) and one download each', async () => {
    const p = await project(CHAIN);
    const from = emulator.requestLog().length;
    // Held creates (not the default: a held create's id is unknown until it answers, walk-ab 5).
    expectExit(await cli(['run', 'recipe.yml'], { cwd: p.root, env: env(p, { KONTEXT_REPLICATE_WAIT_S: '4' }) }), 0);
    expect(routes(from)).toMatchObject({ create: 3, created: 3, read: 0, cancel: 0, download: 3 });
    const lock = await p.readLock();
    const entries = Object.values(lock.nodes ?? lock) as { provider?: string; seed?: number }[];
    expect(entries.filter((e) => e.provider === 'replicate')).toHaveLength(3);
    const bodies = emulator
      .requestLog()
      .slice(from)
      .filter((e) => e.method === 'POST')
      .map((e) => e.body);
    // Replicate does not report seeds: every create carries an explicit one (the lock's).
    expect(bodies.every((b) => typeof b?.['seed'] === 'number')).toBe(true);
    expect(bodies.map((b) => b?.['seed'])).toContain(42);
    // What the run learned about completion times is kept for the next run (per provider + model).
    const saved = await readdir(join(p.root, '.cache', 'kontext', 'poll-times'));
    expect(saved.filter((f) => f.startsWith('replicate-'))).toHaveLength(1);
  }, 60_000);

  it('an AVIF source, which Replicate does not list, stops the run at its line: exit 65, nothing created', async () => {
    const p = await project(CHAIN.replace('portrait-astronaut.jpg', 'portrait.avif'));
    const avif = await sharp(join(p.root, 'assets', 'portrait-astronaut.jpg'))
      .resize(64, 64)
      .avif()
      .toBuffer();
    await writeFile(join(p.root, 'assets', 'portrait.avif'), avif);
    const from = emulator.requestLog().length;
    for (const args of [[], ['--dry-run']]) {
      const r = await cli(['run', 'recipe.yml', ...args], { cwd: p.root, env: env(p) });
      expectExit(r, 65);
      expect(r.stderr).toContain(
        `recipe.yml:6:10: sources.photo: ${join(p.root, 'assets', 'portrait.avif')} is an AVIF image; ` +
          'FLUX.1 Kontext [pro] on Replicate takes JPEG, PNG, GIF or WebP input images (node background); ' +
          'nothing was submitted',
      );
    }
    expect(routes(from)).toMatchObject({ create: 0, read: 0 });
  }, 60_000);

  it('the same AVIF bytes under another name, for a pass on Replicate, are refused too: nothing paid', async () => {
    // review-v: the kinds were looked up by path, and files are checked once per sha256.
    const yaml = [
      'version: 1',
      'name: test',
      'provider: replicate',
      'model: flux-kontext-pro',
      'sources:',
      '  a: assets/a.avif',
      '  b: assets/b.avif',
      'passes:',
      '  - id: local',
      '    from: a',
      '    provider: runcomfy',
      '    prompt: Replace the background with a rainy street at night',
      '  - id: remote',
      '    from: b',
      '    prompt: Replace the background with a rainy street at night',
    ].join('\n');
    const p = await project(yaml);
    const avif = await sharp(join(p.root, 'assets', 'portrait-astronaut.jpg'))
      .resize(64, 64)
      .avif()
      .toBuffer();
    for (const name of ['a.avif', 'b.avif']) await writeFile(join(p.root, 'assets', name), avif);
    const from = emulator.requestLog().length;
    const r = await cli(['run', 'recipe.yml'], { cwd: p.root, env: env(p) });
    expectExit(r, 65);
    expect(r.stderr).toMatch(/recipe\.yml:7:6: sources\.b: .*b\.avif is an AVIF image; .* \(node remote\)/);
    expect(routes(from)).toMatchObject({ create: 0, runcomfy: 0 });
    expect(await readdir(join(p.root, '.cache', 'kontext', 'journal')).catch(() => [])).toEqual([]);
  }, 60_000);

  it('outputs are downloaded at once: a re-run with out/ deleted takes them from the cache, no request', async () => {
    const p = await project(CHAIN);
    expectExit(await cli(['run', 'recipe.yml'], { cwd: p.root, env: env(p) }), 0);
    await rm(join(p.root, 'out'), { recursive: true, force: true });
    // The emulator deletes outputs after an hour, as Replicate does: none may be fetched again.
    const from = emulator.requestLog().length;
    expectExit(await cli(['run', 'recipe.yml'], { cwd: p.root, env: env(p) }), 0);
    expect(emulator.requestLog().slice(from)).toEqual([]);
    expect(await readdir(join(p.root, 'out', 'test'))).toHaveLength(3);
  }, 60_000);

  it('a moderated prediction (E005) fails its pass: exit 1, nothing downloaded, downstream skipped', async () => {
    const p = await project(CHAIN);
    emulator.setScenario({ faults: [{ kind: 'remote-failed' }] });
    const from = emulator.requestLog().length;
    const r = await cli(['run', 'recipe.yml'], { cwd: p.root, env: env(p) });
    expectExit(r, 1);
    expect(r.stderr + r.stdout).toMatch(/E005|moderated/i);
    expect(routes(from)).toMatchObject({ create: 1, download: 0 });
  }, 60_000);

  it('429 with and without Retry-After: waited out, each pass created exactly once', async () => {
    const p = await project(CHAIN);
    emulator.setScenario({
      faults: [
        { kind: 'http', on: 'submit', status: 429, nth: 1, retry_after: 1 },
        { kind: 'http', on: 'submit', status: 429, nth: 3, times: 2 },
      ],
    });
    const from = emulator.requestLog().length;
    expectExit(await cli(['run', 'recipe.yml'], { cwd: p.root, env: env(p) }), 0);
    expect(routes(from)).toMatchObject({ create: 6, created: 3, download: 3 });
  }, 60_000);

  it('KONTEXT_REPLICATE_WAIT_S past the Ctrl-C grace, or not a number: exit 64, nothing created', async () => {
    // walk-n: 30 held a create past the 5 s grace, and a Ctrl-C lost its prediction (maybe paid).
    const p = await project(CHAIN);
    for (const value of ['30', '5', 'abc', '4.5']) {
      const from = emulator.requestLog().length;
      const r = await cli(['run', 'recipe.yml'], { cwd: p.root, env: env(p, { KONTEXT_REPLICATE_WAIT_S: value }) });
      expectExit(r, 64);
      expect(r.stderr).toContain(
        `KONTEXT_REPLICATE_WAIT_S must be a whole number of seconds from 0 to 4, got "${value}"`,
      );
      expect(routes(from).create).toBe(0);
    }
  }, 60_000);

  it('a 5xx storm on prediction reads is ridden out with no second create', async () => {
    const p = await project(CHAIN);
    emulator.setScenario({ faults: [{ kind: 'http', on: 'status', status: 503, nth: 1, times: 4 }] });
    const from = emulator.requestLog().length;
    expectExit(await cli(['run', 'recipe.yml'], { cwd: p.root, env: env(p, { KONTEXT_REPLICATE_WAIT_S: '0' }) }), 0);
    const r = routes(from);
    expect(r).toMatchObject({ create: 3, created: 3, download: 3 });
    expect(r.read).toBeGreaterThanOrEqual(3 + 4);
  }, 60_000);

  it('Ctrl-C while the create is held: the id still comes back, the prediction is cancelled, exit 130', async () => {
    const p = await project(CHAIN);
    emulator.setScenario({ queue_ms: 30_000 });
    const from = emulator.requestLog().length;
    const run = spawnCli(['run', 'recipe.yml', '--json'], { cwd: p.root, env: env(p) });
    for (let i = 0; i < 200 && !run.output().includes('"submitting"'); i++) await new Promise((r) => setTimeout(r, 25));
    await new Promise((r) => setTimeout(r, 500)); // the create is on the wire, held (Prefer: wait=4)
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code, r.stdout + r.stderr).toBe(130);
    expect(routes(from)).toMatchObject({ create: 1, created: 1, cancel: 1, download: 0 });
    const journal = await readdir(join(p.root, '.cache', 'kontext', 'journal')).catch(() => []);
    expect(journal).toEqual([]); // cancelled: nothing paid, nothing to re-attach to
  }, 60_000);

  it('Ctrl-C while the create is held and the prediction runs: not cancelled (paid), next run takes it', async () => {
    const p = await project(CHAIN.split('\n  - id: jacket')[0] ?? CHAIN);
    emulator.setScenario({ queue_ms: 10 });
    // The prediction runs until the next run (not a 6 s job the next run waited out).
    const release = emulator.hold('running');
    const from = emulator.requestLog().length;
    const run = spawnCli(['run', 'recipe.yml', '--json'], { cwd: p.root, env: env(p) });
    for (let i = 0; i < 200 && !run.output().includes('"submitting"'); i++) await new Promise((r) => setTimeout(r, 25));
    // The create is on the wire, held (Prefer: wait=4) while the prediction runs: the run has read
    // no phase of it; the create's reply, at the end of the hold, says "processing". 2 s: well
    // after the create is sent even on a loaded machine, well before the 4 s hold ends.
    await new Promise((r) => setTimeout(r, 2_000));
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code, r.stdout + r.stderr).toBe(130);
    expect(routes(from)).toMatchObject({ created: 1, cancel: 0, download: 0 });
    const journal = await readdir(join(p.root, '.cache', 'kontext', 'journal')).catch(() => []);
    expect(journal.filter((f) => f.endsWith('.json'))).toHaveLength(1); // kept: the next run re-attaches
    emulator.setScenario({});
    release();
    expectExit(await cli(['run', 'recipe.yml'], { cwd: p.root, env: env(p) }), 0);
    expect(routes(from)).toMatchObject({ create: 1, created: 1, cancel: 0, download: 1 });
  }, 60_000);

  it('kill -9 after the create answered: the next run re-attaches to the prediction, never creates again', async () => {
    const p = await project(CHAIN.split('\n  - id: jacket')[0] ?? CHAIN);
    // Queued until it is killed (not a 1.5 s queue the next run waited out).
    const release = emulator.hold('queued');
    const from = emulator.requestLog().length;
    const run = spawnCli(['run', 'recipe.yml'], { cwd: p.root, env: env(p, { KONTEXT_REPLICATE_WAIT_S: '0' }) });
    const journal = join(p.root, '.cache', 'kontext', 'journal');
    let journaled = false;
    for (let i = 0; i < 400 && !journaled; i++) {
      await new Promise((r) => setTimeout(r, 25));
      // Only entries under their final name: a `.tmp` being written is not in the journal yet.
      for (const f of await readdir(journal).catch(() => [] as string[]))
        if (!f.startsWith('.') && (await readFile(join(journal, f), 'utf8').catch(() => '')).includes('request_id'))
          journaled = true;
    }
    expect(journaled).toBe(true);
    run.child.kill('SIGKILL');
    await run.done;
    release();
    expectExit(await cli(['run', 'recipe.yml'], { cwd: p.root, env: env(p) }), 0);
    expect(routes(from)).toMatchObject({ create: 1, created: 1, download: 1 });
    expect(routes(from).read).toBeGreaterThan(0);
  }, 60_000);

  it('a mixed recipe: one pass on replicate, the next on runcomfy (the emulator), chained', async () => {
    const p = await project(
      [
        'version: 1',
        'name: test',
        'provider: replicate', // its default hosting (inline) carries the local photo
        'sources:',
        '  photo: assets/portrait-astronaut.jpg',
        'passes:',
        '  - id: background',
        '    model: flux-kontext-pro',
        '    prompt: Replace the background with a beach',
        '  - id: hat',
        '    provider: runcomfy',
        '    prompt: Keep her face and pose unchanged. Give her a straw hat',
      ].join('\n'),
    );
    const from = emulator.requestLog().length;
    expectExit(await cli(['run', 'recipe.yml'], { cwd: p.root, env: env(p) }), 0);
    expect(routes(from)).toMatchObject({ create: 1, created: 1, runcomfy: 1 });
    const again = emulator.requestLog().length;
    expectExit(await cli(['run', 'recipe.yml'], { cwd: p.root, env: env(p) }), 0);
    expect(emulator.requestLog().slice(again)).toEqual([]);
  }, 60_000);
});
