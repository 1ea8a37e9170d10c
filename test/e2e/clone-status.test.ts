/**
 * A recipe, its lock and its outputs on another machine (a clean clone: fresh cache), as real CLI
 * processes against one emulator: `status --json` must say, node by node, what `run` then does;
 * `--frozen` and `--dry-run` must exit as the run does and name the right cause. Covers what a
 * checkout does to committed outputs: a new mtime and an executable bit change nothing; a git LFS
 * pointer to other bytes than the lock's (or any bytes the lock did not write) is refused before
 * paying (a pointer to the lock's own output: clone-lfs.test.ts); an output that holds
 * the lock's earlier result while the cache has the current one is restored, not "modified"; an
 * out/ committed as a link to its author's folder is refused before paying, even dangling here.
 */
import { existsSync } from 'node:fs';
import { chmod, cp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../src/index.js';
import { cli, ensureBuilt } from '../helpers/cli-spawn.js';
import { runcomfyEnv } from '../helpers/e2e-kit.js';
import { createProject, isSubmit, type Project } from '../helpers/run-fixtures.js';

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

const LFS_POINTER = `version https://git-lfs.github.com/spec/v1
oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393
size 12345
`;

let emulator: EmulatorHandle;
const projects: Project[] = [];

beforeAll(async () => {
  await ensureBuilt();
  emulator = await startEmulator({ queueMs: 5, runMs: 10 });
}, 180_000);
afterAll(async () => {
  await emulator?.close();
  for (const p of projects.splice(0)) await p.cleanup();
});

function kontext(p: Project, args: readonly string[], token = true): ReturnType<typeof cli> {
  const env = runcomfyEnv(emulator, p.root);
  if (!token) delete env['RUNCOMFY_TOKEN'];
  return cli(args, { cwd: p.root, env });
}

const submits = (): number => emulator.requestLog().filter(isSubmit).length;

async function project(yaml = YAML): Promise<Project> {
  const p = await createProject(yaml);
  projects.push(p);
  return p;
}

/** `b` becomes a clone of `a`: recipe, sources, lock and out/, without `a`'s cache. */
async function cloneInto(a: Project, b: Project): Promise<void> {
  await rm(b.root, { recursive: true, force: true });
  await cp(a.root, b.root, { recursive: true });
  await rm(join(b.root, '.cache'), { recursive: true, force: true });
}

type State = 'up-to-date' | 'will-run' | 'modified' | 'missing';

async function statusOf(p: Project): Promise<Map<string, State>> {
  const r = await kontext(p, ['status', 'recipe.yml', '--json']);
  expect(r.code, r.stderr).toBe(0);
  const nodes = (JSON.parse(r.stdout) as { nodes: { node: string; state: State }[] }).nodes;
  return new Map(nodes.map((n) => [n.node, n.state]));
}

/** What the run did to each node, in status's words (a node skipped below a refused one would run once it is fixed). */
function runStates(stdout: string): Map<string, State> {
  const out = new Map<string, State>();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const e = JSON.parse(line) as { type: string; node?: string; restored?: boolean; code?: string };
    if (e.node === undefined) continue;
    if (e.type === 'node-cached') out.set(e.node, e.restored === true ? 'missing' : 'up-to-date');
    else if (e.type === 'node-done' || e.type === 'node-skipped') out.set(e.node, 'will-run');
    else if (e.type === 'node-failed' && e.code === 'E_OUTPUT_CHANGED') out.set(e.node, 'modified');
  }
  return out;
}

describe('a clean clone: status, --frozen, --dry-run and run agree', () => {
  it('a git LFS pointer is modified (refused, 65, nothing paid); a new mtime or +x is up to date', async () => {
    const a = await project();
    expect((await kontext(a, ['run', 'recipe.yml'])).code).toBe(0);
    const b = await project();
    await cloneInto(a, b);
    const pointer = join(b.root, 'out/test/backdrop/pet-chelsea.png');
    await writeFile(pointer, LFS_POINTER);
    const touched = join(b.root, 'out/test/backdrop/scene-rocket.png');
    await utimes(touched, new Date('2031-01-01'), new Date('2031-01-01'));
    await chmod(join(b.root, 'out/test/shadow/scene-rocket.png'), 0o755);
    const lockBefore = await readFile(b.lockPath, 'utf8');
    const paidBefore = submits();

    const status = await statusOf(b);
    expect(status.get('backdrop@pet-chelsea')).toBe('modified');
    expect(status.get('backdrop@scene-rocket')).toBe('up-to-date');
    expect(status.get('shadow@scene-rocket')).toBe('up-to-date');
    expect((await kontext(b, ['status', 'recipe.yml', '--exit-code'])).code).toBe(1);

    // --frozen (no token, as in the assemble job): exit 65, the file named, not "not in out/".
    const frozen = await kontext(b, ['run', 'recipe.yml', '--frozen'], false);
    expect(frozen.code, frozen.stderr).toBe(65);
    const why = 'is a git LFS pointer, and no cache has the image (run "git lfs pull")';
    expect(frozen.stderr).toContain(`  backdrop@pet-chelsea: out/test/backdrop/pet-chelsea.png ${why}`);
    expect(frozen.stderr).not.toContain('not in out/');

    // --dry-run exits as the run will, with the run's message.
    const dry = await kontext(b, ['run', 'recipe.yml', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(65);
    expect(dry.stderr).toContain(`${pointer} is a git LFS pointer (to sha256 4d7a214614ab, the lock says `);

    const real = await kontext(b, ['run', 'recipe.yml', '--json']);
    expect(real.code, real.stderr).toBe(65);
    expect(submits()).toBe(paidBefore);
    expect(runStates(real.stdout)).toEqual(status);
    expect(await readFile(pointer, 'utf8')).toBe(LFS_POINTER);
    expect(await readFile(b.lockPath, 'utf8')).toBe(lockBefore);
  }, 120_000);

  it('out/ committed as a link to a folder only its author has: refused before paying, nothing written', async () => {
    const a = await project();
    expect((await kontext(a, ['run', 'recipe.yml'])).code).toBe(0);
    const b = await project();
    await cloneInto(a, b);
    await rm(join(b.root, 'out'), { recursive: true });
    const alice = `${b.root}-alice-home`; // /home/alice/... on the author's machine: absent here
    await symlink(join(alice, 'out'), join(b.root, 'out'));
    const paidBefore = submits();
    for (const args of [
      ['status', 'recipe.yml'],
      ['run', 'recipe.yml'],
      ['run', 'recipe.yml', '--overwrite'],
    ]) {
      const r = await kontext(b, args);
      expect(r.code, r.stderr).toBe(65);
      expect(r.stderr).toContain(`out: output folder "out/test" leads to ${join(alice, 'out/test')}: outside`);
    }
    expect(submits()).toBe(paidBefore);
    expect(existsSync(alice)).toBe(false);
  }, 120_000);

  it("an output holding the lock's earlier result, the current one cached, is restorable: 0 paid", async () => {
    const a = await project();
    expect((await kontext(a, ['run', 'recipe.yml'])).code).toBe(0);
    const old = await project();
    await cloneInto(a, old); // the lock and out/ as they were
    // The prompt changes and is run: the shared cache (a's) now holds the new results.
    await a.writeRecipe(YAML.replace('grey studio backdrop', 'white studio backdrop'));
    expect((await kontext(a, ['run', 'recipe.yml'])).code).toBe(0);
    // a's recipe, with the old lock and outputs back (a checkout of only those files).
    await rm(join(a.root, 'out'), { recursive: true });
    await cp(join(old.root, 'out'), join(a.root, 'out'), { recursive: true });
    await cp(old.lockPath, a.lockPath);
    const paidBefore = submits();

    const status = await statusOf(a);
    expect([...new Set(status.values())]).toEqual(['missing']);
    const real = await kontext(a, ['run', 'recipe.yml', '--json']);
    expect(real.code, real.stderr).toBe(0);
    expect(submits()).toBe(paidBefore);
    expect(runStates(real.stdout)).toEqual(status);
    expect([...(await statusOf(a)).values()].every((s) => s === 'up-to-date')).toBe(true);
  }, 120_000);

  it('a clone with the lock and only the save: copies (out/ not committed) pays 0, also --frozen', async () => {
    const yaml = `${YAML.slice(0, YAML.indexOf('  - id: shadow'))}    save: public/{source}.{ext}\n`;
    const a = await project(yaml);
    expect((await kontext(a, ['run', 'recipe.yml'])).code).toBe(0);
    const b = await project(yaml);
    await cloneInto(a, b);
    await rm(join(b.root, 'out'), { recursive: true });
    const c = await project(yaml);
    await cloneInto(b, c); // a second clean clone, for --frozen: status adopts into b's cache
    const paidBefore = submits();

    const status = await statusOf(b);
    expect([...status.values()]).toEqual(['missing', 'missing', 'missing', 'missing']);
    const real = await kontext(b, ['run', 'recipe.yml', '--json']);
    expect(real.code, real.stderr).toBe(0);
    expect(runStates(real.stdout)).toEqual(status);

    const frozen = await kontext(c, ['run', 'recipe.yml', '--frozen'], false);
    expect(frozen.code, frozen.stderr).toBe(0);
    expect(submits()).toBe(paidBefore);
    const out = await readFile(join(c.root, 'out/test/backdrop/pet-chelsea.png'));
    expect(out.equals(await readFile(join(a.root, 'public/pet-chelsea.png')))).toBe(true);
  }, 120_000);
});
