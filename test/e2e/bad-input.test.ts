/**
 * Bad input (issue 12), end to end through the BUILT CLI against a standalone emulator whose
 * request log counts paid submits: each case gives one clear line, the right exit code, and
 * loses nothing (other nodes' outputs and the lock stay right; a bad lock is never rewritten).
 */
import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, type CliResult } from '../helpers/cli-spawn.js';
import { sha256File } from '../helpers/run-fixtures.js';
import { project as projectWith, runcomfyEnv, submits, tempDir, useEmulator } from '../helpers/e2e-kit.js';

const emulator = useEmulator();
const envFor = (home: string, extra: Record<string, string> = {}): Record<string, string> =>
  runcomfyEnv(emulator(), home, extra);

/** Prompts that raise no lint warning, so stderr holds only what the case prints. */
const CHAIN = `version: 1
name: chain
provider: runcomfy
hosting: { mode: inline }
sources:
  photo: assets/portrait-astronaut.jpg
passes:
  - id: tint
    prompt: "Tint the whole image blue"
  - id: frame
    prompt: "Add a thin white frame around the image"
`;

const project = (yaml = CHAIN): Promise<string> => projectWith(yaml);

/** Run the CLI; the submits it paid for and its result. */
async function run(args: readonly string[], cwd: string, env: Record<string, string>) {
  const before = submits(emulator());
  const r: CliResult = await cli(args, { cwd, env });
  return { ...r, paid: submits(emulator()) - before, lines: r.stderr.trim().split('\n') };
}

const lockOf = (root: string): Promise<string> => readFile(join(root, 'recipe.lock.json'), 'utf8');

interface Lock {
  nodes: Record<string, { output: string; output_sha256: string }>;
}

/** A project run once (two nodes paid), its lock text and its environment. */
async function ranOnce(): Promise<{ root: string; env: Record<string, string>; lock: string }> {
  const root = await project();
  const env = envFor(await tempDir('home'));
  const first = await run(['run', 'recipe.yml'], root, env);
  expect(first.code, first.stderr).toBe(0);
  expect(first.paid).toBe(2);
  return { root, env, lock: await lockOf(root) };
}

/** The lock with `frame`'s output replaced by `output`. */
function pointFrameAt(lock: string, output: string): string {
  const parsed = JSON.parse(lock) as Lock;
  const entry = parsed.nodes['frame'];
  if (!entry) throw new Error('no frame entry');
  return lock.replace(JSON.stringify(entry.output), JSON.stringify(output));
}

describe('a lock entry pointing outside the project is refused (exit 65, lock:line:col, node id)', () => {
  it('outside the root, via a link at the output, into .git, onto a source: nothing read, written, paid', async () => {
    const { root, env, lock } = await ranOnce();
    const outside = await tempDir('outside');
    await writeFile(join(outside, 'secret.png'), 'not yours');
    await symlink(join(outside, 'secret.png'), join(root, 'out', 'link.png'));
    const cases: [string, RegExp][] = [
      [`../${outside.split('/').pop()}/secret.png`, /it is outside the project root/],
      ['out/link.png', /it is outside the project root/],
      ['.git/config.png', /it is inside a \.git folder/],
      ['assets/portrait-astronaut.jpg', /it is the recipe or one of its sources/],
      ['recipe.yml', /it is the recipe or one of its sources/],
    ];
    for (const [output, why] of cases) {
      const bad = pointFrameAt(lock, output);
      await writeFile(join(root, 'recipe.lock.json'), bad);
      for (const command of ['run', 'status']) {
        const r = await run([command, 'recipe.yml'], root, env);
        expect(r.code, `${command} ${output}: ${r.stderr}`).toBe(65);
        expect(r.lines).toHaveLength(1);
        expect(r.lines[0]).toMatch(/^kontext: recipe\.lock\.json:\d+:\d+: node "frame": nodes\.frame\.output /);
        expect(r.lines[0]).toMatch(why);
        expect(r.paid).toBe(0);
        expect(await lockOf(root)).toBe(bad);
      }
    }
    expect(await readFile(join(outside, 'secret.png'), 'utf8')).toBe('not yours');
    expect(await readdir(outside)).toEqual(['secret.png']);
    // The line is the entry's `output` line.
    await writeFile(join(root, 'recipe.lock.json'), pointFrameAt(lock, '.git/x.png'));
    const r = await run(['run', 'recipe.yml'], root, env);
    const line = Number(/recipe\.lock\.json:(\d+):/.exec(r.stderr)?.[1]);
    expect((await lockOf(root)).split('\n')[line - 1]).toContain('"output": ".git/x.png"');
    // Restored from git: back to a free, all-cached run.
    await writeFile(join(root, 'recipe.lock.json'), lock);
    const ok = await run(['run', 'recipe.yml'], root, env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.paid).toBe(0);
  }, 60_000);
});

describe('a lock from someone else holding a bidi override is refused (exit 65, at the character)', () => {
  it('run, status and clean: one line naming the lock, line and column, escaped; nothing paid or written', async () => {
    const { root, env, lock } = await ranOnce();
    const output = (JSON.parse(lock) as Lock).nodes['frame']?.output ?? '';
    const bad = pointFrameAt(lock, output.replace(/\.png$/, '\u202Egnp.exe.png'));
    const line = bad.split('\n').findIndex((l) => l.includes('\u202E')) + 1;
    const col = (bad.split('\n')[line - 1] ?? '').indexOf('\u202E') + 1;
    await writeFile(join(root, 'recipe.lock.json'), bad);
    for (const command of ['run', 'status', 'clean']) {
      const r = await run([command, 'recipe.yml'], root, env);
      expect(r.code, `${command}: ${r.stderr}`).toBe(65);
      expect(r.lines).toHaveLength(1);
      expect(r.lines[0]).toMatch(
        new RegExp(
          `^kontext: recipe\\.lock\\.json:${line}:${col}: node "frame": output holds U\\+202E \\(RIGHT-TO-LEFT`,
        ),
      );
      expect(r.stderr + r.stdout).not.toMatch(/\u202E/);
      expect(r.paid).toBe(0);
      expect(await lockOf(root)).toBe(bad);
    }
  }, 60_000);
});

describe('a lock holding a node twice (a hand-merge that kept both sides) is refused', () => {
  it('run, status and clean exit 65 with one line at the second entry; nothing paid or written', async () => {
    const { root, env, lock } = await ranOnce();
    const parsed = JSON.parse(lock) as { nodes: Record<string, Record<string, unknown>> };
    const other = { ...parsed.nodes['tint'], seed: 12345 };
    const second = `    "tint": ${JSON.stringify(other, null, 2).split('\n').join('\n    ')}`;
    const merged = lock.replace('\n  },\n  "version"', `,\n${second}\n  },\n  "version"`);
    const lines = merged.split('\n');
    const first = lines.indexOf('    "tint": {') + 1;
    const again = lines.lastIndexOf('    "tint": {') + 1;
    expect(again).toBeGreaterThan(first);
    await writeFile(join(root, 'recipe.lock.json'), merged);
    for (const command of ['run', 'status', 'clean']) {
      const r = await run([command, 'recipe.yml'], root, env);
      expect(r.code, `${command}: ${r.stderr}`).toBe(65);
      expect(r.lines).toHaveLength(1);
      expect(r.lines[0]).toBe(
        `kontext: recipe.lock.json:${again}:5: nodes: node "tint" appears twice (first at line ${first}) ` +
          '(a lock holds one entry per node: keep the one whose output_sha256 matches the output you keep; ' +
          'the other result stays in the cache)',
      );
      expect(r.paid).toBe(0);
      expect(await lockOf(root)).toBe(merged);
    }
    await writeFile(join(root, 'recipe.lock.json'), lock);
    const ok = await run(['run', 'recipe.yml'], root, env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.paid).toBe(0);
  }, 60_000);
});

describe('an output path in the way', () => {
  it('a folder at an output: exit 73 naming it, before any request; the lock stays as it was', async () => {
    const { root, env, lock } = await ranOnce();
    // `frame` changed (it runs again, `tint` stays up to date), and a folder where its output goes.
    await writeFile(join(root, 'recipe.yml'), CHAIN.replace('thin white frame', 'thin black frame'));
    await rm(join(root, 'out', 'chain', 'frame', 'photo.png'));
    await mkdir(join(root, 'out', 'chain', 'frame', 'photo.png'));
    const r = await run(['run', 'recipe.yml'], root, env);
    expect(r.code, r.stderr).toBe(73);
    expect(r.lines.filter((l) => l.includes('photo.png: it is a folder'))).toHaveLength(1);
    expect(r.paid).toBe(0);
    expect(await lockOf(root)).toBe(lock);
    // Folder moved away: only the changed node is paid.
    await rm(join(root, 'out', 'chain', 'frame', 'photo.png'), { recursive: true });
    const again = await run(['run', 'recipe.yml'], root, env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.paid).toBe(1);
  }, 60_000);

  it('an output folder that links out of the project: exit 65 naming it; nothing paid or written outside', async () => {
    // No lock yet (one naming the output would be refused when read): the run's own check finds it.
    const root = await project();
    const env = envFor(await tempDir('home'));
    const outside = await tempDir('elsewhere');
    await mkdir(join(root, 'out', 'chain'), { recursive: true });
    await symlink(outside, join(root, 'out', 'chain', 'frame'));
    const r = await run(['run', 'recipe.yml'], root, env);
    expect(r.code, r.stderr).toBe(65);
    const errors = r.lines.filter((l) => l.includes('it is outside the project root'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('frame/photo.png');
    expect(r.paid).toBe(0);
    expect(await readdir(outside)).toEqual([]);
    expect(await lockOf(root).catch(() => null)).toBeNull();
  }, 60_000);
});

describe('two nodes writing one file', () => {
  it("a save: onto another pass's output: validate and run exit 65 naming both, before any request", async () => {
    const root = await project(`${CHAIN}    save: out/chain/tint/photo.{ext}\n`);
    const env = envFor(await tempDir('home'));
    for (const command of ['validate', 'run']) {
      const r = await run([command, 'recipe.yml'], root, env);
      expect(r.code, r.stderr).toBe(65);
      expect(r.lines.filter((l) => l.includes('output-collision') || l.includes('same file'))).toEqual([
        expect.stringContaining(
          'recipe.yml:12:11: passes[1].save: node "frame" (save: path out/chain/tint/photo.{ext}) ' +
            'would write the same file as node "tint" (output out/chain/tint/photo.{ext})',
        ),
      ]);
      expect(r.paid).toBe(0);
    }
    expect(await readdir(root)).not.toContain('out');
  }, 60_000);
});

describe('a corrupt lock', () => {
  it('truncated: exit 65, one line recipe.lock.json:LINE:COL, the file byte-identical, nothing paid', async () => {
    const { root, env, lock } = await ranOnce();
    const truncated = lock.slice(0, Math.floor(lock.length / 2));
    await writeFile(join(root, 'recipe.lock.json'), truncated);
    const r = await run(['run', 'recipe.yml'], root, env);
    expect(r.code, r.stderr).toBe(65);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(/^kontext: recipe\.lock\.json:\d+:\d+: invalid JSON: /);
    expect(r.paid).toBe(0);
    expect(await lockOf(root)).toBe(truncated);
  }, 60_000);
});

describe('an out folder holding the sources', () => {
  it('out: . is refused (exit 65, recipe:line:col): clean removed the source image under it', async () => {
    const root = await project(CHAIN.replace('name: chain\n', 'name: chain\nout: .\n'));
    const env = envFor(await tempDir('home'));
    for (const command of ['validate', 'clean', 'run']) {
      const r = await run([command, 'recipe.yml'], root, env);
      expect(r.code, r.stderr).toBe(65);
      expect(r.stderr).toContain('recipe.yml:3:6: out: output folder "." would write into a folder holding the recipe');
      expect(r.paid).toBe(0);
    }
    expect(await readdir(join(root, 'assets'))).toEqual(['portrait-astronaut.jpg']);
  }, 60_000);
});

describe('a lock from someone else with terminal escapes', () => {
  it('status, clean and run refuse it (exit 65, lock:line:col): no escape printed, nothing paid', async () => {
    const { root, env, lock } = await ranOnce();
    const evil = lock.replace('"out/chain/frame/photo.png"', '"out/chain/frame/\\u001b]0;owned\\u0007.png"');
    expect(evil).not.toBe(lock);
    await writeFile(join(root, 'recipe.lock.json'), evil);
    for (const command of [['status'], ['clean'], ['run']]) {
      const r = await run([...command, 'recipe.yml'], root, env);
      expect(r.code, r.stderr).toBe(65);
      expect(r.lines).toHaveLength(1);
      // At the character: ESC follows the 16 characters of "out/chain/frame/" in a value opening at column 17.
      expect(r.lines[0]).toMatch(/^kontext: recipe\.lock\.json:\d+:34: node "frame": output holds U\+001B \(a control/);
      expect(r.stdout + r.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
      expect(r.paid).toBe(0);
      expect(await lockOf(root)).toBe(evil);
    }
  }, 60_000);
});

describe('a file in the out folder whose name reads as another', () => {
  it('status and clean --dry-run print its name escaped', async () => {
    const { root, env } = await ranOnce();
    // A clone brought it: `backdrop@` + RIGHT-TO-LEFT OVERRIDE + `gnp.exe` shows as backdrop@exe.png.
    await writeFile(join(root, 'out', 'chain', 'backdrop@\u202egnp.exe'), "not kontext's");
    for (const command of [['status'], ['clean', '--dry-run']]) {
      const r = await run([...command, 'recipe.yml'], root, env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout + r.stderr).not.toContain('\u202e');
      expect(r.stdout).toContain('backdrop@\\u{202E}gnp.exe');
    }
  }, 60_000);
});

describe('a lock from someone else with a node id that reads as another', () => {
  it('status and clean refuse it (exit 65, one line): the bidi control never printed', async () => {
    const { root, env, lock } = await ranOnce();
    // An extra entry whose id, printed raw, shows as `frame@exe.png` (what clean would list to drop).
    const data = JSON.parse(lock) as { nodes: Record<string, unknown> };
    const [first] = Object.values(data.nodes);
    data.nodes['frame@\u202egnp.exe'] = first;
    const evil = JSON.stringify(data, null, 2);
    await writeFile(join(root, 'recipe.lock.json'), evil);
    for (const command of [['status'], ['clean', '--dry-run'], ['clean']]) {
      const r = await run([...command, 'recipe.yml'], root, env);
      expect(r.code, r.stderr).toBe(65);
      expect(r.lines).toHaveLength(1);
      expect(r.lines[0]).toMatch(/^kontext: recipe\.lock\.json:\d+:\d+: node id /);
      expect(r.stdout + r.stderr).not.toContain('\u202e');
      expect(await lockOf(root)).toBe(evil);
    }
  }, 60_000);
});

describe('a cache dir that cannot be written', () => {
  it('one warning, exit 0, outputs and lock right; a second run pays nothing', async () => {
    const root = await project();
    const home = await tempDir('home');
    const file = join(home, 'a-file');
    await writeFile(file, 'in the way');
    // A temp folder of its own: another test's stand-ins in the shared one come and go meanwhile.
    const tmp = await tempDir('tmp');
    const env = envFor(home, { KONTEXT_CACHE_DIR: join(file, 'cache'), TMPDIR: tmp });
    const first = await run(['run', 'recipe.yml'], root, env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.paid).toBe(2);
    const warnings = first.lines.filter((l) => l.includes('is not writable'));
    const head =
      `warning cache dir ${join(file, 'cache')} is not writable (ENOTDIR: not a directory): running without a ` +
      'cache; results are still written to out/ and the lock, requests in flight to the crash journal ';
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.slice(0, head.length)).toBe(head);
    // Outlives the run (its stand-in store goes): an entry stays there only while its request is in flight.
    const journal = warnings[0]?.slice(head.length) ?? '';
    expect(journal).toMatch(/\/kontext-journal-\d+-[0-9a-f]{12}$/);
    expect(await readdir(journal)).toEqual([]);
    await rm(journal, { recursive: true });
    const lock = JSON.parse(await lockOf(root)) as Lock;
    expect(Object.keys(lock.nodes).sort()).toEqual(['frame', 'tint']);
    for (const id of ['frame', 'tint'])
      expect(await sha256File(join(root, `out/chain/${id}/photo.png`))).toBe(lock.nodes[id]?.output_sha256);

    const second = await run(['run', 'recipe.yml'], root, env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.paid).toBe(0);
    expect(second.lines.filter((l) => l.includes('is not writable'))).toHaveLength(1);
    expect(JSON.parse(await lockOf(root))).toEqual(lock);
    // The stand-in stores are gone.
    expect((await readdir(tmp)).filter((n) => n.startsWith('kontext-cache-'))).toEqual([]);
  }, 60_000);

  // A read-only HOME and a TMPDIR a CI cleanup step removed: it was "internal error: ENOENT … mkdtemp", exit 70.
  it('nor can the temp folder hold a stand-in: one line naming both, exit 73; nothing paid or written', async () => {
    const root = await project();
    const home = await tempDir('home');
    await writeFile(join(home, 'a-file'), 'in the way');
    const cacheDir = join(home, 'a-file', 'cache');
    const gone = join(home, 'gone');
    const env = envFor(home, { KONTEXT_CACHE_DIR: cacheDir, TMPDIR: gone });
    const before = (await readdir(root)).sort();
    for (const args of [
      ['run', 'recipe.yml'],
      ['status', 'recipe.yml'],
    ]) {
      const r = await run(args, root, env);
      expect(r.code, r.stderr).toBe(73);
      expect(r.lines).toEqual([
        `kontext: cache dir ${cacheDir} is not writable (ENOTDIR: not a directory), and the temp folder ${gone} ` +
          'cannot be used for a stand-in: ENOENT: no such file or directory ' +
          '(set TMPDIR or KONTEXT_CACHE_DIR to a writable folder)',
      ]);
      expect(r.paid).toBe(0);
    }
    expect((await readdir(root)).sort()).toEqual(before);
  }, 30_000);
});

describe('a cache dir that holds the project or its out folder', () => {
  it('is refused before anything is paid or written: one line naming it, exit 64', async () => {
    const root = await project();
    const env = envFor(await tempDir('home'));
    const before = (await readdir(root)).sort();
    const cases: [readonly string[], Record<string, string>, string][] = [
      [['run', 'recipe.yml', '--cache-dir', '.'], {}, `--cache-dir ${root} holds the project ${root}`],
      [
        ['run', 'recipe.yml'],
        { KONTEXT_CACHE_DIR: 'out' },
        `KONTEXT_CACHE_DIR ${join(root, 'out')} holds the out folder`,
      ],
      [['status', 'recipe.yml', '--cache-dir', '..'], {}, `--cache-dir ${join(root, '..')} holds the project`],
      [['report', 'recipe.yml', '--cache-dir', root], {}, 'holds the project'],
      [['gc', '--max-size', '1B', '--cache-dir', '.'], {}, 'holds the project'],
    ];
    for (const [args, extra, says] of cases) {
      const r = await run(args, root, { ...env, ...extra });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(64);
      expect(r.lines).toHaveLength(1);
      expect(r.lines[0]).toContain(says);
      expect(r.paid).toBe(0);
      // No CACHEDIR.TAG, no `.gitignore` of `*`, no blobs/, no out/, no lock in the project.
      expect((await readdir(root)).sort()).toEqual(before);
    }
    // A cache dir beside the out folder, inside out/, holds neither: the run goes on.
    const beside = await run(['run', 'recipe.yml', '--cache-dir', 'out/cache'], root, env);
    expect(beside.code, beside.stderr).toBe(0);
    expect(beside.paid).toBe(2);
  }, 60_000);
});
