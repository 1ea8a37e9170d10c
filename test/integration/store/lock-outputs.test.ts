/**
 * A lock read with the run's write guard refuses entries whose `output` leads outside the
 * project (through links too), into `.git`, or onto a protected file: exit 65, the lock's
 * line of that `output` and the node id (issue 12).
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatLock, readLock, type LockEntry } from '../../../src/store/index.js';
import { readLockState } from '../../../src/store/lock-file.js';
import { buildWriteGuard, symlinkChecker } from '../../../src/store/write-guard.js';

const entry = (output: string): LockEntry => ({
  seed: 1,
  key: 'a'.repeat(64),
  input_sha256: 'b'.repeat(64),
  output_sha256: 'c'.repeat(64),
  output,
  provider: 'emulator',
  model: 'm',
  request_id: 'r1',
  finished_at: '2025-01-01T00:00:00.000Z',
});

let base: string;
let root: string;
let lockPath: string;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'kontext-lockout-'));
  root = join(base, 'proj');
  await mkdir(join(root, '.git'), { recursive: true });
  await mkdir(join(root, 'out'));
  lockPath = join(root, 'r.lock.json');
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

async function writeLock(outputs: Record<string, string>): Promise<string> {
  const nodes = Object.fromEntries(Object.entries(outputs).map(([id, o]) => [id, entry(o)]));
  const text = formatLock({ version: 1, nodes });
  await writeFile(lockPath, text);
  return text;
}

const guard = (allowOutsideRoot = false) =>
  buildWriteGuard({ projectRoot: root, allowOutsideRoot, protectedFiles: [join(root, 'r.yml'), lockPath] });

describe('readLock with an outputs guard', () => {
  it('accepts outputs inside the project, and reads without a guard as before', async () => {
    await writeLock({ a: 'out/a.png', b: 'out/deep/b.png' });
    expect(Object.keys((await readLock(lockPath, { outputs: await guard() })).nodes)).toEqual(['a', 'b']);
    await writeLock({ a: '../elsewhere.png' });
    expect(Object.keys((await readLock(lockPath)).nodes)).toEqual(['a']);
  });

  it('refuses the first bad entry by node id, at the line of its output', async () => {
    const text = await writeLock({ a: 'out/a.png', b: '../../etc/passwd.png', c: '.git/x.png' });
    const err = await readLock(lockPath, { outputs: await guard() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_LOCK_INVALID', exitCode: 65 });
    const { message, location } = err as { message: string; location: { line: number } };
    expect(message).toContain('node "b": nodes.b.output "../../etc/passwd.png"');
    expect(message).toContain('it is outside the project root');
    expect(text.split('\n')[location.line - 1]).toContain('"output": "../../etc/passwd.png"');
  });

  it('follows links: a linked folder or a link at the output name leading out is refused', async () => {
    const outside = join(base, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'secret.png'), 'x');
    await symlink(outside, join(root, 'out', 'linked'));
    await writeLock({ a: 'out/linked/secret.png' });
    // The path as written is fine: the hint blames the link on disk, not the lock.
    const notLock = { hint: expect.stringMatching(/^the lock is not at fault: .*remove that link/) };
    await expect(readLock(lockPath, { outputs: await guard() })).rejects.toThrow(/outside the project root/);
    await expect(readLock(lockPath, { outputs: await guard() })).rejects.toMatchObject(notLock);
    await symlink(join(outside, 'secret.png'), join(root, 'out', 'a.png'));
    await writeLock({ a: 'out/a.png' });
    await expect(readLock(lockPath, { outputs: await guard() })).rejects.toThrow(/leads to .*secret\.png/);
    await expect(readLock(lockPath, { outputs: await guard() })).rejects.toMatchObject(notLock);
    // A path that leads out as written: the lock is at fault.
    await writeLock({ a: '../outside/secret.png' });
    await expect(readLock(lockPath, { outputs: await guard() })).rejects.toMatchObject({
      hint: expect.stringContaining('from git or delete that entry'),
    });
  });

  it("a conflicted lock: the refused entry at its own side's line of the file, the side named", async () => {
    const ours = formatLock({ version: 1, nodes: { a: entry('out/a.png') } }).split('\n');
    const theirs = formatLock({ version: 1, nodes: { a: entry('../../etc/passwd.png') } }).split('\n');
    // The whole object in one hunk: both sides name nodes.a.output, ours first.
    const text = ['<<<<<<< HEAD', ...ours, '=======', ...theirs, '>>>>>>> theirs', ''].join('\n');
    await writeFile(lockPath, text);
    const err = await readLockState(lockPath, { outputs: await guard() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_LOCK_INVALID', exitCode: 65 });
    const { message, location, hint } = err as { message: string; location: { line: number }; hint: string };
    expect(text.split('\n')[location.line - 1]).toContain('"output": "../../etc/passwd.png"');
    expect(message).toContain(`r.lock.json:${location.line}:`);
    expect(message).toContain('(in the theirs (after =======) side of the git conflict)');
    expect(hint).toContain('git checkout --ours or --theirs');
  });

  it('never .git, the recipe or a lock; outside the root only with --allow-outside-root', async () => {
    for (const [output, why] of [
      ['.git/hooks/x.png', /inside a \.git folder/],
      ['r.yml', /the recipe or one of its sources/],
      ['other.lock.json', /it is a lock file/],
    ] as const) {
      await writeLock({ a: output });
      await expect(readLock(lockPath, { outputs: await guard(true) })).rejects.toThrow(why);
    }
    await writeLock({ a: '../beside.png' });
    expect(Object.keys((await readLock(lockPath, { outputs: await guard(true) })).nodes)).toEqual(['a']);
  });

  it('finds links among many outputs with one listing per folder, as an lstat of each would', async () => {
    await writeFile(join(root, 'out', 'file.png'), 'x');
    await symlink(join(root, 'out', 'file.png'), join(root, 'out', 'link.png'));
    await writeFile(join(root, 'plain'), 'x');
    const isLink = symlinkChecker();
    const answers = ['out/link.png', 'out/file.png', 'out/missing.png', 'missing-dir/a.png', 'plain/a.png'].map((p) =>
      isLink(join(root, p)),
    );
    expect(answers).toEqual([true, false, false, false, false]);
  });
});
