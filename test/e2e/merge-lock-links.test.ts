/**
 * `kontext merge-lock` decides a node both sides changed by the output file in the work tree.
 * A lock from someone else names that path, and a symlink in the tree may lead anywhere: the
 * driver reads only files that really lie in the work tree (outside `.git`), so a link to a file
 * outside cannot be hashed into the merge (which side wins would tell whether the file outside
 * holds bytes the other side guessed). And a mistyped ours or theirs path is refused (read as an
 * empty lock, it dropped every entry of the other side), while a missing base stays an empty one.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatLock } from '../../src/store/lock-file.js';
import type { LockEntry } from '../../src/store/types.js';
import { cli, cliEnv, ensureBuilt } from '../helpers/cli-spawn.js';

beforeAll(ensureBuilt, 180_000);

const dirs: string[] = [];
async function tempDir(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `kontext-${name}-`));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const entry = (digit: string, output_sha256 = digit.repeat(64)): LockEntry => ({
  seed: 1,
  key: digit.repeat(64),
  input_sha256: 'b'.repeat(64),
  output_sha256,
  output: 'out/p/x.png',
  provider: 'emulator',
  model: 'm',
  request_id: `r${digit}`,
  finished_at: '2025-01-01T00:00:00.000Z',
});

/** A work tree whose lock's node `x` both sides changed; theirs names `bytes`, placed by `place`. */
async function mergeWith(place: (tree: string, bytes: Buffer) => Promise<void>): Promise<string> {
  const tree = await tempDir('mergelinks');
  const bytes = Buffer.from('bytes only theirs names\n');
  const sha = createHash('sha256').update(bytes).digest('hex');
  const lock = (e: LockEntry): string => formatLock({ version: 1, nodes: { x: e } });
  await writeFile(join(tree, 'base'), lock(entry('1')));
  await writeFile(join(tree, 'ours'), lock(entry('2')));
  await writeFile(join(tree, 'theirs'), lock(entry('3', sha)));
  await mkdir(join(tree, 'out', 'p'), { recursive: true });
  await place(tree, bytes);
  const r = await cli(['merge-lock', 'base', 'ours', 'theirs', 'p.lock.json'], { cwd: tree, env: cliEnv(tree) });
  expect(r.code, r.stderr).toBe(0);
  const merged = JSON.parse(await readFile(join(tree, 'ours'), 'utf8')) as { nodes: { x: LockEntry } };
  return `${merged.nodes.x.key.slice(0, 1)} ${r.stderr.trim()}`;
}

describe('kontext merge-lock reads only output files in the work tree', () => {
  it('the file in the tree holding theirs: theirs, by the output file', async () => {
    const got = await mergeWith((tree, bytes) => writeFile(join(tree, 'out', 'p', 'x.png'), bytes));
    expect(got).toMatch(/^3 .*x: by the output file\)$/);
  }, 30_000);

  it('the file in the tree is the git LFS pointer to theirs (no git-lfs): theirs, by the output file', async () => {
    const got = await mergeWith(async (tree, bytes) => {
      const oid = createHash('sha256').update(bytes).digest('hex');
      const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${bytes.length}\n`;
      await writeFile(join(tree, 'out', 'p', 'x.png'), pointer);
    });
    expect(got).toMatch(/^3 .*x: by the output file\)$/);
  }, 30_000);

  it('a link in the tree to a file outside holding theirs: not read, ours kept', async () => {
    const outside = await tempDir('mergelinks-outside');
    const got = await mergeWith(async (tree, bytes) => {
      await writeFile(join(outside, 'secret'), bytes);
      await symlink(join(outside, 'secret'), join(tree, 'out', 'p', 'x.png'));
    });
    expect(got).toMatch(/^2 .*x: ours\)$/);
  }, 30_000);

  it('a linked folder leading outside: not read either', async () => {
    const outside = await tempDir('mergelinks-outside');
    const got = await mergeWith(async (tree, bytes) => {
      await writeFile(join(outside, 'x.png'), bytes);
      await symlink(outside, join(tree, 'out', 'q'));
      const text = (await readFile(join(tree, 'theirs'), 'utf8')).replace('out/p/x.png', 'out/q/x.png');
      await writeFile(join(tree, 'theirs'), text);
    });
    expect(got).toMatch(/^2 .*x: ours\)$/);
  }, 30_000);
});

describe('kontext merge-lock with a side that is not there', () => {
  it.each([
    ['theirs', ['base', 'ours', 'theirs-typo']],
    ['ours', ['base', 'ours-typo', 'theirs']],
  ])('a missing %s is exit 65 naming it; ours is left as it was', async (side, files) => {
    const tree = await tempDir('mergemissing');
    const lock = (...digits: string[]): string =>
      formatLock({ version: 1, nodes: Object.fromEntries(digits.map((d) => [`n${d}`, entry(d)])) });
    await writeFile(join(tree, 'base'), lock('1', '2'));
    await writeFile(join(tree, 'ours'), lock('1', '2'));
    await writeFile(join(tree, 'theirs'), lock('1', '2', '3'));
    const r = await cli(['merge-lock', ...files, 'p.lock.json'], { cwd: tree, env: cliEnv(tree) });
    expect(r.code).toBe(65);
    expect(r.stderr).toContain(`p.lock.json (${side}): ${join(tree, `${side}-typo`)}: no such file`);
    expect(await readFile(join(tree, 'ours'), 'utf8')).toBe(lock('1', '2'));
    expect(await readdir(tree)).toEqual(['base', 'ours', 'theirs']);
  });

  it('without %P, an invalid side is named by its own file, not by ours', async () => {
    const tree = await tempDir('mergebadside');
    const lock = formatLock({ version: 1, nodes: { n1: entry('1') } });
    for (const f of ['base.json', 'ours.json']) await writeFile(join(tree, f), lock);
    await writeFile(join(tree, 'theirs2.json'), '{ "version": 7, "nodes": {} }\n');
    const r = await cli(['merge-lock', 'base.json', 'ours.json', 'theirs2.json'], { cwd: tree, env: cliEnv(tree) });
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('theirs2.json (theirs):');
    expect(r.stderr).not.toContain('ours.json (theirs)');
    expect(await readFile(join(tree, 'ours.json'), 'utf8')).toBe(lock);
  });

  it('a missing base is an empty one (both sides added the file)', async () => {
    const tree = await tempDir('mergenobase');
    const lock = (d: string): string => formatLock({ version: 1, nodes: { [`n${d}`]: entry(d) } });
    await writeFile(join(tree, 'ours'), lock('1'));
    await writeFile(join(tree, 'theirs'), lock('2'));
    const r = await cli(['merge-lock', 'no-base', 'ours', 'theirs', 'p.lock.json'], { cwd: tree, env: cliEnv(tree) });
    expect(r.code, r.stderr).toBe(0);
    const merged = JSON.parse(await readFile(join(tree, 'ours'), 'utf8')) as { nodes: Record<string, LockEntry> };
    expect(Object.keys(merged.nodes).sort()).toEqual(['n1', 'n2']);
  });
});
