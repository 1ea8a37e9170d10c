/**
 * A recipe whose out folder, or a `save:` copy's folder, cannot be made or written: exit 73
 * naming the folder before the first request, through the built CLI against the emulator. The
 * run used to submit, pay, and only then fail at the write (the result kept in the cache, but
 * paid for a run that could never finish). `--dry-run` says the same, with the same exit code,
 * and leaves no folder behind. An up-to-date run makes and tries no folder (its syscalls, strace).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli-spawn.js';
import { project, runcomfyEnv, submits, tempDir, useEmulator } from '../helpers/e2e-kit.js';
import { REPO_ROOT } from '../helpers/run-fixtures.js';
import { cannotTrace, parseTrace } from '../helpers/strace.js';

const emulator = useEmulator();

const RECIPE = `version: 1
name: tint
provider: runcomfy
hosting: { mode: inline }
sources:
  photo: assets/portrait-astronaut.jpg
passes:
  - id: crop
    prompt: "Crop the photo to a square around the face"
  - id: tint
    prompt: "Tint the whole image blue"
`;

/** The user a read-only folder binds for when the tests run as root (chmod does not bind root). */
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

const run = promisify(execFile);

/**
 * `kontext run` and `kontext run --dry-run` in `root`: each exit 73 naming `folder`, nothing
 * submitted. `uid`: run as that user (its home, and the project, made its own).
 */
async function refusedBoth(root: string, folder: string, uid?: number, flags: readonly string[] = []): Promise<void> {
  const home = await tempDir('home');
  if (uid !== undefined) for (const dir of [home, root]) await run('chown', ['-R', `${uid}:${uid}`, dir]);
  await stoppedBoth({ root, home, flags, uid }, 73, [`cannot write ${folder} (`, 'nothing was submitted']);
}

/** `kontext run` and `kontext run --dry-run` in `root`: each exit `code`, saying each of `says`, nothing submitted. */
async function stoppedBoth(
  at: { root: string; home: string; flags?: readonly string[]; uid?: number | undefined },
  code: number,
  says: readonly string[],
): Promise<void> {
  const env = runcomfyEnv(emulator(), at.home);
  const as = at.uid === undefined ? {} : { uid: at.uid, gid: at.uid };
  const before = submits(emulator());
  for (const dry of [[], ['--dry-run']]) {
    const args = ['run', 'recipe.yml', ...(at.flags ?? []), ...dry];
    const r = await spawnCli(args, { cwd: at.root, env, ...as }).done;
    expect(r.code, `${dry.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(code);
    for (const text of says) expect(r.stderr).toContain(text);
  }
  expect(submits(emulator()) - before).toBe(0);
}

describe('a recipe whose outputs cannot be written', () => {
  it('an out folder under a regular file, or under /proc: exit 73 naming it, nothing paid', async () => {
    const root = await project(RECIPE.replace('version: 1\n', 'version: 1\nout: notes/out\n'));
    await writeFile(join(root, 'notes'), 'a file, not a folder\n');
    await refusedBoth(root, join(root, 'notes', 'out', 'crop'));
    if (!existsSync('/proc/self')) return;
    await writeFile(join(root, 'recipe.yml'), RECIPE.replace('version: 1\n', 'version: 1\nout: /proc/nope\n'));
    await refusedBoth(root, '/proc/nope/crop', undefined, ['--allow-outside-root']);
  }, 60_000);

  it('a read-only out folder: exit 73 naming the folder, nothing paid', async () => {
    const root = await project(RECIPE.replace('version: 1\n', 'version: 1\nout: shelf\n'));
    // The first pass's folder is there, read-only: it is made, but no file can be made in it.
    await mkdir(join(root, 'shelf', 'crop'), { recursive: true });
    await chmod(join(root, 'shelf', 'crop'), 0o555);
    // Root writes anywhere, chmod or not: as root, the run goes as another user.
    await refusedBoth(root, join(root, 'shelf', 'crop'), asRoot ? NOBODY : undefined);
  }, 60_000);

  it('a save: folder that cannot be made: exit 73 naming it, nothing paid', async () => {
    const yaml = RECIPE.replace(
      '    prompt: "Tint the whole image blue"\n',
      '    prompt: "Tint the whole image blue"\n    save: notes/final/{source}.{ext}\n',
    );
    const root = await project(yaml);
    await writeFile(join(root, 'notes'), 'a file, not a folder\n');
    await refusedBoth(root, join(root, 'notes', 'final'));
  }, 60_000);
});

describe('a recipe whose outputs the run would refuse to write', () => {
  const saving = (save: string): string =>
    RECIPE.replace(
      '    prompt: "Tint the whole image blue"\n',
      `    prompt: "Tint the whole image blue"\n    save: ${save}\n`,
    );

  it('a save: copy inside the cache dir: exit 65 naming it, nothing paid', async () => {
    const home = await tempDir('home');
    const cache = join(home, '.cache', 'kontext');
    const root = await project(saving(`${cache}/{source}.{ext}`));
    const says = [`refusing to write ${join(cache, 'photo.png')}: it is inside the cache dir`];
    await stoppedBoth({ root, home, flags: ['--allow-outside-root'] }, 65, says);
  }, 60_000);

  it('a folder where a save: copy goes: exit 73 naming it, nothing paid', async () => {
    const root = await project(saving('final/{source}.{ext}'));
    await mkdir(join(root, 'final', 'photo.png'), { recursive: true });
    const says = [`refusing to write ${join(root, 'final', 'photo.png')}: it is a folder`];
    await stoppedBoth({ root, home: await tempDir('home') }, 73, says);
  }, 60_000);
});

describe("an edit's -o name near or past the file system's 255-byte limit", () => {
  const EDIT = [
    'edit',
    '--image',
    'assets/portrait-astronaut.jpg',
    '--prompt',
    'Make the sky orange',
    '--hosting',
    'inline',
  ];

  it('240 bytes is written (its temp cut to fit); past 255 bytes: exit 73 naming it, nothing paid', async () => {
    const root = await project('version: 1\n');
    const env = runcomfyEnv(emulator(), await tempDir('home'));
    // 236 + '.png': allowed, but the write's temp beside it (the name and ~40 bytes more) was not.
    const fits = `${'é'.repeat(118)}.png`;
    const before = submits(emulator());
    const r = await spawnCli([...EDIT, '-o', fits], { cwd: root, env }).done;
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(root, fits))).toBe(true);
    expect(submits(emulator()) - before).toBe(1);
    const far = `${'x'.repeat(256)}.png`;
    const refused = await spawnCli([...EDIT, '-o', far], { cwd: root, env }).done;
    expect(refused.code, refused.stderr).toBe(73);
    expect(refused.stderr).toContain(`cannot write ${join(root, far)} (ENAMETOOLONG)`);
    expect(refused.stderr).toContain('nothing was submitted');
    expect(submits(emulator()) - before).toBe(1);
  }, 60_000);
});

describe('--dry-run of a run that can write', () => {
  it('tries the folders and leaves none behind', async () => {
    const yaml = RECIPE.replace(
      '    prompt: "Tint the whole image blue"\n',
      '    prompt: "Tint the whole image blue"\n    save: final/deep/{source}.{ext}\n',
    );
    const root = await project(yaml);
    const env = runcomfyEnv(emulator(), await tempDir('home'));
    const r = await spawnCli(['run', 'recipe.yml', '--dry-run'], { cwd: root, env }).done;
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(root, 'out'))).toBe(false);
    expect(existsSync(join(root, 'final'))).toBe(false);
  }, 60_000);
});

describe('an up-to-date run', () => {
  it('makes and tries no folder (strace); a run with work tries its folders', async (ctx) => {
    const why = cannotTrace();
    if (why !== null) return ctx.skip(why);
    const root = await project(RECIPE);
    const env = runcomfyEnv(emulator(), await tempDir('home'));
    const traceDir = await tempDir('strace');
    const out = join(root, 'out', 'tint');
    /** The folders made and the files created under the out folder by `kontext run` (strace -f). */
    const traced = async (name: string): Promise<{ mkdirs: string[]; created: string[] }> => {
      const file = join(traceDir, name);
      const bin = join(REPO_ROOT, 'dist', 'cli', 'bin.js');
      const strace = ['-f', '-qq', '-s', '256', '-e', 'trace=mkdir,mkdirat,open,openat,creat', '-o', file];
      const args = [...strace, process.execPath, bin, 'run', 'recipe.yml'];
      await run('strace', args, { cwd: root, env: { KONTEXT_TEST_FAST_POLL: '1', ...env } });
      const calls = parseTrace(await readFile(file, 'utf8'));
      const path = (c: (typeof calls)[number]): string => /"([^"]*)"/.exec(c.args)?.[1] ?? '';
      const inOut = calls.filter((c) => path(c).startsWith(`${out}/`));
      return {
        mkdirs: inOut.filter((c) => c.name.startsWith('mkdir')).map(path),
        created: inOut.filter((c) => c.name === 'creat' || c.args.includes('O_CREAT')).map(path),
      };
    };
    const first = await traced('first');
    expect(first.mkdirs).toEqual(expect.arrayContaining([join(out, 'crop'), join(out, 'tint')]));
    // The first run's temp files beside crop's output: the probe made before any request, then the write's.
    const temps = first.created.filter((f) => f.startsWith(join(out, 'crop', '.photo.png.')) && f.endsWith('.tmp'));
    expect(temps, first.created.join('\n')).toHaveLength(2);
    const again = await traced('again');
    expect(again).toEqual({ mkdirs: [], created: [] });
  }, 60_000);
});
