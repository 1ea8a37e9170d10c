/**
 * kill -9 in the middle of a download, of storing it, of writing out/ and of rewriting the lock:
 * the BUILT CLI as a real child, killed by its own test hook (KONTEXT_TEST_HOOKS=1,
 * KONTEXT_TEST_CRASH_AT=<point>, src/cli/test-hooks.ts) when the second node of a chain
 * a → b → c reaches the point (the lock points: a alone first, then a → b killed at b's lock
 * write), against a standalone emulator whose request log counts what was paid. After the crash
 * nothing under a final name is torn (blobs hash to their names, records and the lock parse,
 * out/ files are whole blobs) and the lock is not older than before; a plain
 * re-run (a child too) exits 0, submits only what was never paid (c), re-attaches to b when it was
 * paid but not stored, and ends with every output in the lock and an empty journal. Last, a real
 * kill -9 from outside while b's body drips in (half received, held in memory: nothing on disk).
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../../src/index.js';
import type { RequestLogEntry } from '../../../src/emulator/index.js';
import { isTempName } from '../../../src/store/atomic.js';
import { ensureBuilt } from '../../helpers/cli-spawn.js';
import { journalEntries } from '../../helpers/journal-files.js';
import { runChildren, runcomfyAt } from '../../helpers/run-children.js';
import { createProject, lockMatchesFiles, recipeYaml, until, type Project } from '../../helpers/run-fixtures.js';

const P = {
  a: 'Keep the face unchanged. Make the sky orange.',
  b: 'Keep everything else unchanged. Add a red scarf.',
  c: 'Keep everything else unchanged. Add falling snow.',
} as const;
/** The chain a → b → c cut to its first `n` passes. */
const chain = (n: number): string =>
  recipeYaml(
    (
      [
        ['a', P.a, 'from: photo'],
        ['b', P.b, 'from: a'],
        ['c', P.c, 'from: b'],
      ] as const
    ).slice(0, n),
    ['hosting: { mode: inline }'],
  ).replace('provider: emulator', 'provider: runcomfy');

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

/** Accepted submits of `prompt` (what was paid for). */
function paid(log: readonly RequestLogEntry[], prompt: string): RequestLogEntry[] {
  return log.filter(
    (e) =>
      !e.internal &&
      e.method === 'POST' &&
      e.path.startsWith('/v1/models/') &&
      e.status === 200 &&
      e.body?.['prompt'] === prompt,
  );
}

async function filesUnder(dir: string): Promise<string[]> {
  const found = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return found.filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name));
}

const sha256 = async (path: string): Promise<string> =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

/**
 * Nothing torn under a final name: every blob hashes to its name, every record and the lock
 * parse, every out/ file (temps aside) is byte for byte a blob of the store.
 */
async function assertNothingTorn(p: Project): Promise<void> {
  const blobs = new Set<string>();
  for (const f of await filesUnder(join(p.cacheDir, 'blobs'))) {
    expect(isTempName(basename(f)) ? basename(f) : await sha256(f), f).toBe(basename(f));
    if (!isTempName(basename(f))) blobs.add(basename(f));
  }
  for (const f of await filesUnder(join(p.cacheDir, 'records')))
    if (!isTempName(basename(f))) JSON.parse(await readFile(f, 'utf8'));
  for (const f of await filesUnder(join(p.root, 'out')))
    if (!isTempName(basename(f))) expect(blobs.has(await sha256(f)), `${f} is not a whole stored output`).toBe(true);
  const text = await readFile(p.lockPath, 'utf8').catch(() => null);
  if (text !== null) JSON.parse(text);
}

/** Every file in the store's `tmp/`, and the temp files (`.<name>.<suffix>.tmp`) under out/ and beside the lock. */
async function tempsLeft(p: Project): Promise<string[]> {
  const beside = (await readdir(p.root, { withFileTypes: true })).filter((d) => d.isFile());
  const files = [...(await filesUnder(join(p.root, 'out'))), ...beside.map((d) => join(p.root, d.name))];
  return [...(await filesUnder(join(p.cacheDir, 'tmp'))), ...files.filter((f) => isTempName(basename(f)))];
}

/** Where a kill at the point leaves a temp file the next run must sweep (none: nothing torn). */
const LEFT_TEMP: Readonly<Record<string, RegExp>> = {
  'download-part-written': /\/tmp\/\..+\.part$/,
  'download-in-temp': /\/tmp\/[^/]+\.tmp$/,
  'output-temp-written': /\/out\/.+\/\.[^/]+\.tmp$/,
  'lock-temp-written': /\/\.recipe\.lock\.json\.[^/]+\.tmp$/,
};

interface Case {
  readonly point: string;
  /**
   * `download`: the chain a → b → c, killed at b (the second time the point is reached), c unpaid.
   * `lock`: a lock write is off the chain's path (the next node submits while the entry is
   * written, and writes coalesce), so a run of `a` alone first, then a → b killed at b's write,
   * the only one of that run.
   */
  readonly shape: 'download' | 'lock';
  /** The node's record is stored when the process dies (the re-run reads it, no download). */
  readonly recorded: boolean;
}

const CASES: readonly Case[] = [
  { point: 'download-part-written', shape: 'download', recorded: false },
  { point: 'download-in-temp', shape: 'download', recorded: false },
  { point: 'after-blob', shape: 'download', recorded: false },
  { point: 'after-record', shape: 'download', recorded: true },
  { point: 'output-temp-written', shape: 'download', recorded: true },
  { point: 'output-renamed', shape: 'download', recorded: true },
  { point: 'lock-temp-written', shape: 'lock', recorded: true },
  { point: 'lock-renamed', shape: 'lock', recorded: true },
];

const downloadsIn = (log: readonly RequestLogEntry[]): number => log.filter((e) => e.path.startsWith('/files/')).length;

describe('kill -9 mid-download, mid-store, mid-output and mid-lock-rewrite (built CLI, a chain)', () => {
  for (const { point, shape, recorded } of CASES) {
    it(`${point}: nothing torn, lock not older; the re-run pays only the unpaid, re-attaches, exits 0`, async () => {
      emulator = await startEmulator({ queueMs: 20, runMs: 150 });
      const em = emulator;
      const env = runcomfyAt(em);
      project = await createProject(chain(shape === 'lock' ? 1 : 3));
      const p = project;
      if (shape === 'lock') {
        const first = await children.run(p, env).done;
        expect(first.code, first.stdout + first.stderr).toBe(0);
        await p.writeRecipe(chain(2));
      }
      const nodes = shape === 'lock' ? ['a', 'b'] : ['a', 'b', 'c'];
      // In the chain each node passes each point after the one before it: the second time is b's.
      const count = shape === 'lock' ? '1' : '2';
      const hooks = { KONTEXT_TEST_HOOKS: '1', KONTEXT_TEST_CRASH_AT: point, KONTEXT_TEST_CRASH_COUNT: count };
      const crash = children.run(p, { ...env, ...hooks });
      const crashed = await crash.done;
      expect(crashed.signal, crash.output()).toBe('SIGKILL');
      expect(paid(em.requestLog(), P.a)).toHaveLength(1);
      expect(paid(em.requestLog(), P.b)).toHaveLength(1);
      expect(paid(em.requestLog(), P.c)).toHaveLength(0);

      await assertNothingTorn(p);
      // The lock holds a (finished before b), and b once its rename happened: never less.
      const before = await p.readLock();
      expect(Object.keys(before.nodes).sort()).toEqual(point === 'lock-renamed' ? ['a', 'b'] : ['a']);
      expect((await lockMatchesFiles(p)).every((r) => r.ok)).toBe(true);
      // b's request is journaled by id: what the re-run re-attaches to.
      const bId = (await journalEntries(p.cacheDir)).find((e) => e.node === 'b')?.request_id;
      expect(bId).toMatch(/./);
      const downloadsBefore = downloadsIn(em.requestLog());
      // The killed process's temp is there, young: the re-run removes it as its writer is dead.
      const left = LEFT_TEMP[point];
      if (left) expect((await tempsLeft(p)).filter((f) => left.test(f))).toHaveLength(1);

      const rerun = children.run(p, env);
      const done = await rerun.done;
      expect(done.code, rerun.output()).toBe(0);
      // Paid exactly once each: b re-attached to (or read from its record), c submitted once.
      for (const prompt of Object.values(P))
        expect(paid(em.requestLog(), prompt)).toHaveLength(nodes.length === 3 || prompt !== P.c ? 1 : 0);
      const lock = await p.readLock();
      expect(Object.keys(lock.nodes).sort()).toEqual(nodes);
      expect(lock.nodes['b']?.request_id).toBe(bId);
      expect((await lockMatchesFiles(p)).every((r) => r.ok)).toBe(true);
      // b's output is downloaded again when it was paid but not stored; c's once.
      const downloads = downloadsIn(em.requestLog()) - downloadsBefore;
      expect(downloads).toBe((recorded ? 0 : 1) + (nodes.length === 3 ? 1 : 0));
      expect(await journalEntries(p.cacheDir)).toEqual([]);
      await assertNothingTorn(p);
      expect(await tempsLeft(p)).toEqual([]);
    }, 60_000);
  }

  it('a real kill -9 from outside while the body is arriving: re-attached and downloaded, paid once each', async () => {
    // b's output (the second download) arrives 16 KB every 100 ms: over two seconds for ~370 KB.
    const drip = { kind: 'drip-download', nth: 2, bytes: 16 * 1024, interval_ms: 100 } as const;
    emulator = await startEmulator({ queueMs: 20, runMs: 150, scenario: { faults: [drip] } });
    const em = emulator;
    const env = runcomfyAt(em);
    project = await createProject(chain(3));
    const p = project;
    const child = children.run(p, env);
    const bytesOfB = (): number => {
      let most = 0;
      for (const line of child.output().split('\n')) {
        if (!line.startsWith('{')) continue;
        const e = JSON.parse(line) as { type: string; node?: string; bytes?: number };
        if (e.type === 'node-state' && e.node === 'b' && e.bytes !== undefined) most = Math.max(most, e.bytes);
      }
      return most;
    };
    // Killed once b is downloading (its first bytes are in), well before the body is complete.
    await until(
      () => child.output().includes('"node":"b","phase":"downloading"'),
      20_000,
      'b downloading',
      child.output,
    );
    await new Promise((r) => setTimeout(r, 300));
    child.child.kill('SIGKILL');
    expect((await child.done).signal).toBe('SIGKILL');
    expect(bytesOfB()).toBe(0); // progress comes only at the end of a small body: not reached
    expect(paid(em.requestLog(), P.b)).toHaveLength(1);
    expect(paid(em.requestLog(), P.c)).toHaveLength(0);
    await assertNothingTorn(p);
    expect((await journalEntries(p.cacheDir)).find((e) => e.node === 'b')?.request_id).toMatch(/./);

    const rerun = children.run(p, env);
    const done = await rerun.done;
    expect(done.code, rerun.output()).toBe(0);
    for (const prompt of Object.values(P)) expect(paid(em.requestLog(), prompt)).toHaveLength(1);
    expect(Object.keys((await p.readLock()).nodes).sort()).toEqual(['a', 'b', 'c']);
    expect((await lockMatchesFiles(p)).every((r) => r.ok)).toBe(true);
    expect(await journalEntries(p.cacheDir)).toEqual([]);
    await assertNothingTorn(p);
  }, 60_000);

  it('a real kill -9 while a 12 MB output streams to disk: the half .part goes with the re-run', async () => {
    // b's output (the second download) is a 12 MB PNG, over the 8 MB a body is held in memory
    // for: streamed to a .part in the store's tmp/, 512 KB every 50 ms.
    const drip = { kind: 'drip-download', nth: 2, bytes: 512 * 1024, interval_ms: 50, pad_to: 12 * 1024 ** 2 } as const;
    emulator = await startEmulator({ queueMs: 20, runMs: 150, scenario: { faults: [drip] } });
    const em = emulator;
    const env = runcomfyAt(em);
    project = await createProject(chain(3));
    const p = project;
    const child = children.run(p, env);
    const parts = async (): Promise<{ path: string; size: number }[]> => {
      const found = (await filesUnder(join(p.cacheDir, 'tmp'))).filter((f) => f.endsWith('.part'));
      return Promise.all(found.map(async (path) => ({ path, size: (await stat(path).catch(() => null))?.size ?? 0 })));
    };
    // b's .part (a's small body is written and renamed at once, and a is done before b downloads).
    await until(
      async () =>
        child.output().includes('"node":"b","phase":"downloading"') && (await parts()).some((f) => f.size > 0),
      20_000,
      'a .part with bytes',
      child.output,
    );
    child.child.kill('SIGKILL');
    expect((await child.done).signal).toBe('SIGKILL');
    const left = await parts();
    expect(left).toHaveLength(1);
    expect(left[0]?.size).toBeLessThan(12 * 1024 ** 2); // half written
    expect(paid(em.requestLog(), P.b)).toHaveLength(1);
    await assertNothingTorn(p);

    const rerun = children.run(p, env);
    const done = await rerun.done;
    expect(done.code, rerun.output()).toBe(0);
    for (const prompt of Object.values(P)) expect(paid(em.requestLog(), prompt)).toHaveLength(1);
    expect(await parts()).toEqual([]);
    expect(await tempsLeft(p)).toEqual([]);
    expect(await journalEntries(p.cacheDir)).toEqual([]);
    await assertNothingTorn(p);
  }, 60_000);
});
