/**
 * Power-cut durability of renames, seen in the syscalls of a real run: the BUILT CLI runs a chain
 * a → b against the emulator under `strace -f -yy` (every fd shown with its path or socket), and
 * the trace must show, for every paid submit, the journal intent linked into `journal/` and that
 * folder fsynced (the fsync finished) before the submit's first byte is written to the socket;
 * for every blob, record, out/ file and lock renamed into place, an fsync of its folder that
 * starts after the rename and finishes before the journal entry of the node is removed (what
 * would let a run after a power cut pay again). The trace must hold the renames at all: a run
 * that made none would otherwise pass. Needs strace (installed by `npm test`'s set-up and
 * `.ci/run`); skipped only where ptrace is not allowed.
 */
import { dirname, join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../../src/index.js';
import { cliEnv, ensureBuilt } from '../../helpers/cli-spawn.js';
import { runcomfyAt } from '../../helpers/run-children.js';
import { createProject, recipeYaml, type Project } from '../../helpers/run-fixtures.js';
import { cannotTrace, parseTrace, pathOf, traceBuiltCli } from '../../helpers/strace.js';

let emulator: EmulatorHandle | undefined;
let project: Project | undefined;

beforeAll(ensureBuilt, 180_000);
afterEach(async () => {
  await emulator?.close();
  await project?.cleanup();
  emulator = undefined;
  project = undefined;
});

const RECIPE = recipeYaml(
  [
    ['a', 'Keep the face unchanged. Make the sky orange.', 'from: photo'],
    ['b', 'Keep everything else unchanged. Add a red scarf.', 'from: a'],
  ],
  ['hosting: { mode: inline }'],
).replace('provider: emulator', 'provider: runcomfy');

describe('renames that matter are fsynced in their folder (strace of the built CLI)', () => {
  it('intent → journal fsync → submit; blob, record, out/, lock → folder fsync → journal entry gone', async (ctx) => {
    const why = cannotTrace();
    if (why !== null) return ctx.skip(why);
    emulator = await startEmulator({ queueMs: 20, runMs: 100 });
    project = await createProject(RECIPE);
    const p = project;
    const syscalls =
      'link,linkat,rename,renameat,renameat2,fsync,fdatasync,unlink,unlinkat,write,writev,sendto,sendmsg';
    const { code, out, trace } = await traceBuiltCli(
      ['-f', '-qq', '-yy', '-s', '48', '-e', `trace=${syscalls}`],
      ['run', p.recipe, '--json'],
      { cwd: p.root, env: cliEnv(p.root, runcomfyAt(emulator)) },
    );
    expect(code, out).toBe(0);
    const calls = parseTrace(trace);
    const cache = p.cacheDir;
    const journalDir = join(cache, 'journal');
    const fsyncs = calls.filter((c) => /^f(data)?sync$/.test(c.name));
    /** An fsync of `dir` that starts after `after` and ends before `before` (line numbers). */
    const synced = (dir: string, after: number, before: number): boolean =>
      fsyncs.some((f) => pathOf(f) === dir && f.start > after && f.end < before);

    // 1. Each submit's first byte leaves only once its intent's link is durable.
    const submits = calls.filter(
      (c) => /^(write|writev|sendto|sendmsg)$/.test(c.name) && c.args.includes('"POST /v1/models/'),
    );
    expect(submits).toHaveLength(2);
    const intents = calls.filter(
      (c) => /^(link|linkat|rename|renameat2?)$/.test(c.name) && /journal\/[0-9a-f]{64}\.json$/.test(pathOf(c) ?? ''),
    );
    expect(intents.length).toBeGreaterThanOrEqual(2);
    for (const submit of submits) {
      const intent = intents.filter((c) => c.end < submit.start).at(-1);
      expect(intent, `no journal entry before the submit at line ${submit.start}`).toBeDefined();
      expect(
        synced(journalDir, intent?.end ?? 0, submit.start),
        `journal not fsynced before line ${submit.start}`,
      ).toBe(true);
    }

    // 2. Paid results and the lock: each rename's folder fsynced before the journal entry goes.
    const unlinks = calls.filter(
      (c) => /^unlink(at)?$/.test(c.name) && /journal\/[0-9a-f]{64}\.json$/.test(pathOf(c) ?? ''),
    );
    expect(unlinks).toHaveLength(2);
    const firstUnlinkAfter = (line: number): number =>
      unlinks.find((u) => u.start > line)?.start ?? Number.POSITIVE_INFINITY;
    // The first rename to each name (a record rewritten later with its review, like a change
    // map's blob, can be rebuilt and is not fsynced: docs/architecture.md).
    const renames = calls
      .filter((c) => /^renameat2?$|^rename$/.test(c.name))
      .filter((c, i, all) => all.findIndex((o) => pathOf(o) === pathOf(c)) === i);
    const nodes = Object.values((await p.readLock()).nodes);
    expect(nodes).toHaveLength(2);
    const paid = (dir: string, names: readonly string[]) => (t: string) => names.some((n) => t.endsWith(`${dir}/${n}`));
    const kinds = {
      blob: paid(
        'blobs',
        nodes.map((n) => `${n.output_sha256.slice(0, 2)}/${n.output_sha256}`),
      ),
      record: paid(
        'records',
        nodes.map((n) => `${n.key.slice(0, 2)}/${n.key}.json`),
      ),
      output: (t: string) => t.startsWith(`${p.outDir}/`) && !t.endsWith('.tmp'),
      lock: (t: string) => t === p.lockPath,
    };
    for (const [kind, matches] of Object.entries(kinds)) {
      const seen = renames.filter((r) => matches(pathOf(r) ?? ''));
      expect(seen.length, `${kind}: renames seen`).toBeGreaterThanOrEqual(kind === 'lock' ? 1 : 2);
      for (const r of seen) {
        const target = pathOf(r) as string;
        expect(
          synced(dirname(target), r.end, firstUnlinkAfter(r.end)),
          `${kind} ${target} not made durable in time`,
        ).toBe(true);
      }
    }
  }, 60_000);
});

/**
 * A run never holds its event loop for the disk to write a record: no rename into the cache's
 * `records/` is made by the main thread (the process's own pid, the one that exec'd node): each is
 * on libuv's pool. The record a node's review rewrites (rebuildable, unsynced) was renamed in
 * synchronous calls, on the main thread: on a busy ext4 disk 1-3 ms a node during which no poll,
 * submit or download of any other node went on. The trace must hold such renames at all.
 */
describe('the event loop and the disk (strace of the built CLI)', () => {
  it('no record is renamed into place by the main thread, the reviewed ones included', async (ctx) => {
    const why = cannotTrace();
    if (why !== null) return ctx.skip(why);
    emulator = await startEmulator({ queueMs: 0, runMs: 20 });
    project = await createProject(RECIPE);
    const p = project;
    const { code, out, trace } = await traceBuiltCli(
      ['-f', '-qq', '-s', '300', '-e', 'trace=execve,rename,renameat,renameat2'],
      ['run', p.recipe],
      { cwd: p.root, env: cliEnv(p.root, runcomfyAt(emulator)) },
    );
    expect(code, out).toBe(0);
    const lines = trace.split('\n');
    const main = /^(\d+)\s+execve\(/.exec(lines[0] ?? '')?.[1];
    expect(main, lines.slice(0, 3).join('\n')).toBeDefined();
    const records = join(p.cacheDir, 'records');
    const intoRecords = lines.filter((l) => /^\d+\s+rename(at2?)?\(/.test(l) && l.includes(`"${records}/`));
    // Each node's record at least twice: as downloaded, then with its review.
    expect(intoRecords.length).toBeGreaterThanOrEqual(4);
    expect(intoRecords.filter((l) => l.startsWith(`${main} `))).toEqual([]);
  });
});
