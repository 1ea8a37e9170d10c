/**
 * Outputs (and sources) committed with git LFS, checked out where git-lfs is missing or CI has
 * `lfs: false`: pointer files (`version https://git-lfs.github.com/spec/v1`, `oid sha256:…`,
 * `size …`) where the images should be. As real CLI processes against one emulator and one
 * s3rver: a pointer to the lock's output is never paid for again (`--overwrite` or not): restored
 * from the local or remote cache for free, else refused naming the file and `git lfs pull`;
 * status says which, and `--frozen` too.
 */
import { createHash } from 'node:crypto';
import { cp, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useRemoteE2e } from '../helpers/remote-e2e.js';
import type { Project } from '../helpers/run-fixtures.js';

const YAML = `version: 1
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
`;

const kit = useRemoteE2e(YAML, 'lfs');
const OUT = 'out/test/backdrop/pet-chelsea.png';

/** What `git lfs` leaves for `path` in a checkout without it: the pointer to the file's bytes. */
async function pointerFor(path: string): Promise<string> {
  const bytes = await readFile(path);
  const oid = createHash('sha256').update(bytes).digest('hex');
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${bytes.length}\n`;
}

/** `a` ran (and uploaded); `b`: a clean clone with out/ committed, `file` checked out as its LFS pointer. */
async function cloneWithPointer(file = OUT): Promise<{ a: Project; b: Project; pointer: string; image: Buffer }> {
  const a = await kit.project();
  const ran = await kit.kontext(a, ['run', 'recipe.yml']);
  expect(ran.code, ran.stderr).toBe(0);
  const b = await kit.clone(a);
  await cp(join(a.root, 'out'), join(b.root, 'out'), { recursive: true });
  const pointer = await pointerFor(join(a.root, file));
  await writeFile(join(b.root, file), pointer);
  return { a, b, pointer, image: await readFile(join(a.root, file)) };
}

interface StatusNode {
  node: string;
  state: string;
  lfs_pointer?: boolean;
}

async function statusOf(p: Project, args: readonly string[] = []): Promise<Map<string, StatusNode>> {
  const r = await kit.kontext(p, ['status', 'recipe.yml', '--json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  const nodes = (JSON.parse(r.stdout) as { nodes: StatusNode[] }).nodes;
  return new Map(nodes.map((n) => [n.node, n]));
}

describe('git LFS pointers in a checkout', () => {
  it("a pointer to the lock's output in no cache: refused, naming git lfs pull; unpaid, --overwrite too", async () => {
    const { b, pointer } = await cloneWithPointer();
    const paid = kit.submits();

    const status = await statusOf(b, ['--no-remote']);
    expect(status.get('backdrop@pet-chelsea')).toMatchObject({ state: 'modified', lfs_pointer: true });
    expect(status.get('backdrop@scene-rocket')).toMatchObject({ state: 'up-to-date' });
    // Below it, judged by the bytes the pointer names: up to date (the run skips it, pays nothing).
    expect(status.get('shadow@pet-chelsea')).toMatchObject({ state: 'up-to-date' });
    const text = await kit.kontext(b, ['status', 'recipe.yml', '--no-remote']);
    expect(text.stdout).toContain('Git LFS pointers (1):');
    expect(text.stdout).toContain('run "git lfs pull"');

    for (const extra of [[], ['--overwrite']]) {
      const run = await kit.kontext(b, ['run', 'recipe.yml', '--no-remote', ...extra]);
      expect(run.code, run.stderr).toBe(65);
      expect(run.stderr).toContain(`${join(b.root, OUT)} is a git LFS pointer, not the image`);
      expect(run.stderr).toContain('run "git lfs pull"');
    }
    const dry = await kit.kontext(b, ['run', 'recipe.yml', '--dry-run', '--no-remote']);
    expect(dry.code, dry.stderr).toBe(65);
    expect(dry.stdout).toMatch(/backdrop@pet-chelsea +refused: its output is a git LFS pointer, run "git lfs pull"/);
    expect(dry.stdout).toMatch(/shadow@pet-chelsea +not run: below backdrop@pet-chelsea, whose output is a git LFS/);
    const frozen = await kit.kontext(b, ['run', 'recipe.yml', '--frozen', '--no-remote']);
    expect(frozen.code, frozen.stderr).toBe(65);
    expect(frozen.stderr).toContain(`backdrop@pet-chelsea: ${OUT} is a git LFS pointer`);
    expect(kit.submits()).toBe(paid);
    expect(await readFile(join(b.root, OUT), 'utf8')).toBe(pointer);
  }, 120_000);

  it('a pointer whose image the remote cache holds is restored from it: 0 paid, the file is the image', async () => {
    const { b, image } = await cloneWithPointer();
    const paid = kit.submits();
    expect((await statusOf(b)).get('backdrop@pet-chelsea')).toMatchObject({ state: 'remote' });

    const run = await kit.kontext(b, ['run', 'recipe.yml', '--frozen']);
    expect(run.code, run.stderr).toBe(0);
    expect(kit.submits()).toBe(paid);
    expect((await readFile(join(b.root, OUT))).equals(image)).toBe(true);
    expect([...(await statusOf(b)).values()].every((n) => n.state === 'up-to-date')).toBe(true);
  }, 120_000);

  it('a pointer whose image the local cache holds is restored from it', async () => {
    const { a, image } = await cloneWithPointer();
    // On the machine that ran it: its own out/ file replaced by the pointer (a checkout of it).
    await writeFile(join(a.root, OUT), await pointerFor(join(a.root, OUT)));
    const paid = kit.submits();
    expect((await statusOf(a, ['--no-remote'])).get('backdrop@pet-chelsea')).toMatchObject({ state: 'missing' });
    const run = await kit.kontext(a, ['run', 'recipe.yml', '--no-remote']);
    expect(run.code, run.stderr).toBe(0);
    expect(kit.submits()).toBe(paid);
    expect((await readFile(join(a.root, OUT))).equals(image)).toBe(true);
  }, 120_000);

  it('a pointer to other bytes than the lock names is refused as an LFS pointer, left as it is', async () => {
    const { b } = await cloneWithPointer();
    const other = `version https://git-lfs.github.com/spec/v1\noid sha256:${'ab'.repeat(32)}\nsize 12345\n`;
    await writeFile(join(b.root, OUT), other);
    const paid = kit.submits();
    expect((await statusOf(b, ['--no-remote'])).get('backdrop@pet-chelsea')).toMatchObject({
      state: 'modified',
      lfs_pointer: true,
    });
    const run = await kit.kontext(b, ['run', 'recipe.yml', '--no-remote']);
    expect(run.code, run.stderr).toBe(65);
    expect(run.stderr).toContain(`${join(b.root, OUT)} is a git LFS pointer (to sha256 abababababab`);
    expect(kit.submits()).toBe(paid);
    expect(await readFile(join(b.root, OUT), 'utf8')).toBe(other);
  }, 120_000);

  it('a changed node below a refused pointer: status and the run header say the run stops there', async () => {
    const { b } = await cloneWithPointer();
    const recipe = join(b.root, 'recipe.yml');
    await writeFile(recipe, (await readFile(recipe, 'utf8')).replace('Add a soft contact shadow.', 'Add a shadow.'));
    const paid = kit.submits();

    const status = await statusOf(b, ['--no-remote']);
    expect(status.get('shadow@scene-rocket')).toMatchObject({ state: 'will-run' });
    expect(status.get('shadow@scene-rocket')).not.toHaveProperty('stopped_by');
    expect(status.get('shadow@pet-chelsea')).toMatchObject({ state: 'will-run', stopped_by: 'backdrop@pet-chelsea' });
    const text = await kit.kontext(b, ['status', 'recipe.yml', '--no-remote']);
    expect(text.stdout).toMatch(/shadow@pet-chelsea +\S.*; not until backdrop@pet-chelsea is fixed\n/);
    expect(text.stdout).toContain('3 of 8 nodes up to date; a run pays for 3 requests');

    const run = await kit.kontext(b, ['run', 'recipe.yml', '--no-remote']);
    expect(run.code, run.stderr).toBe(65);
    expect(run.stderr).toContain('8 nodes, 3 to run, 3 cached, 2 stopped');
    expect(kit.submits()).toBe(paid + 3);
  }, 120_000);

  it('a source checked out as an LFS pointer is named as one, before anything is paid', async () => {
    const a = await kit.project();
    const source = join(a.root, 'assets/pet-chelsea.jpg');
    const size = (await stat(source)).size;
    await writeFile(source, await pointerFor(source));
    expect(size).toBeGreaterThan(1024);
    for (const cmd of ['validate', 'run']) {
      const r = await kit.kontext(a, [cmd, 'recipe.yml']);
      expect(r.code, r.stderr).toBe(65);
      expect(r.stderr).toContain('"assets/pet-chelsea.jpg" is a git LFS pointer, not the image');
      expect(r.stderr).toContain('git lfs pull');
    }
  }, 120_000);
});
