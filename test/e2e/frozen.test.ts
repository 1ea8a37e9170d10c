/**
 * `kontext run --frozen` and the CI flags' usage errors, as real CLI processes against one
 * emulator: green from the local cache with no lock or out/ (zero requests), exit 65 listing
 * each missing node (blocked ones say by what) with zero requests and nothing written, also
 * without a token; `--dry-run --frozen` shows the same; bad `--shard` values and flag clashes
 * are exit 64 with one line.
 */
import {
  chmod,
  copyFile,
  mkdtemp,
  open,
  readFile,
  readdir,
  realpath,
  rm,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
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
  - id: square
    from: backdrop
    prompt: Keep the subject and the backdrop unchanged. Extend the backdrop to a square frame.
    aspect_ratio: "1:1"
`;

let emulator: EmulatorHandle;
let project: Project;

beforeAll(async () => {
  await ensureBuilt();
  emulator = await startEmulator({ queueMs: 10, runMs: 20 });
  project = await createProject(YAML);
}, 180_000);
afterAll(async () => {
  await emulator?.close();
  await project?.cleanup();
});

function run(args: readonly string[], extra: Record<string, string | undefined> = {}): ReturnType<typeof cli> {
  const env = runcomfyEnv(emulator, project.root);
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return cli(['run', 'recipe.yml', ...args], { cwd: project.root, env });
}

/** Every call a client made to the emulator (not just submits): --frozen must make none at all. */
const calls = (): number => emulator.requestLog().filter((e) => !e.internal).length;
const submits = (): number => emulator.requestLog().filter(isSubmit).length;

describe('CI flags: usage errors', () => {
  it.each([
    [['--shard', '0/5']],
    [['--shard', '6/5']],
    [['--shard', '1/0']],
    [['--shard', 'a/b']],
    [['--frozen', '--force']],
    [['--frozen', '--force', 'backdrop']],
    [['--frozen', '--reseed']],
    [['--shard', '1/2', '--watch']],
    [['--shard', '1/2', '--no-remote']],
    [['--frozen', '--watch']],
  ])(
    '%j → exit 64, one line, no request',
    async (args) => {
      const before = calls();
      const r = await run(args);
      expect(r.code, r.stderr).toBe(64);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/--shard|--frozen|--watch/);
      expect(calls()).toBe(before);
    },
    30_000,
  );
});

describe('an empty shard', () => {
  it('exit 0 with a note: four photos over seven shards leave the seventh empty', async () => {
    const before = calls();
    const r = await run(['--shard', '7/7']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('shard 7/7: nothing to run here (4 source instances over 7 shards)');
    expect(calls()).toBe(before);
  }, 30_000);
});

describe('--frozen', () => {
  it('green from the cache alone; a new image → exit 65 listing its nodes, no requests, nothing written', async () => {
    const first = await run([]);
    expect(first.code, first.stderr).toBe(0);
    expect(submits()).toBe(12);

    // No lock and no out/ (a fresh checkout), the same cache: frozen assembles everything for free.
    await rm(project.lockPath);
    await rm(join(project.root, 'out'), { recursive: true });
    const before = calls();
    const green = await run(['--frozen'], { RUNCOMFY_TOKEN: undefined });
    expect(green.code, green.stderr).toBe(0);
    expect(calls()).toBe(before);
    expect(Object.keys((await project.readLock()).nodes)).toHaveLength(12);
    const lockBytes = await readFile(project.lockPath);
    const outBefore = await project.outFiles();

    // One new image: its three nodes are missing, two of them only because their upstream is.
    await copyFile(join(project.root, 'assets', 'pet-chelsea.jpg'), join(project.root, 'assets', 'new-shot.jpg'));
    for (const token of ['test-token', undefined]) {
      const red = await run(['--frozen'], { RUNCOMFY_TOKEN: token });
      expect(red.code, red.stderr).toBe(65);
      const lines = red.stderr.trim().split('\n');
      expect(lines[0]).toMatch(/^kontext: --frozen: 3 nodes .*nothing submitted or written/);
      expect(lines.slice(1)).toEqual([
        '  backdrop@new-shot: new, would need a request',
        '  shadow@new-shot: blocked by backdrop@new-shot',
        '  square@new-shot: blocked by backdrop@new-shot',
      ]);
    }
    expect(calls()).toBe(before);
    expect((await readFile(project.lockPath)).equals(lockBytes)).toBe(true);
    expect(await project.outFiles()).toEqual(outBefore);

    // --dry-run --frozen: the preview, then the same failure.
    const dry = await run(['--frozen', '--dry-run']);
    expect(dry.code).toBe(65);
    expect(dry.stdout).toMatch(/backdrop@new-shot\s+will run: new/);
    expect(dry.stderr).toContain('square@new-shot: blocked by backdrop@new-shot');
    expect(submits()).toBe(12); // a dry run reads the model's price, as always; it never submits
    const afterDry = calls();

    // A changed prompt says so; --only narrows what must be satisfiable.
    await project.writeRecipe(YAML.replace('soft contact shadow', 'hard contact shadow'));
    await rm(join(project.root, 'assets', 'new-shot.jpg'));
    const changed = await run(['--frozen']);
    expect(changed.code).toBe(65);
    expect(changed.stderr).toContain('  shadow@pet-chelsea: prompt changed since the lock, would need a request');
    expect(changed.stderr).not.toContain('square@');
    const narrowed = await run(['--frozen', '--only', 'square']);
    expect(narrowed.code, narrowed.stderr).toBe(0);
    expect(calls()).toBe(afterDry);
    expect(await readdir(join(project.root, 'out', 'test', 'square'))).toHaveLength(4);
  }, 120_000);

  it('an output swapped for a link to a same-bytes file outside: 65, the link blamed, nothing read', async () => {
    const p = await createProject(YAML.replace('assets/*.jpg', 'assets/pet-chelsea.jpg'));
    const outside = await mkdtemp(join(tmpdir(), 'kontext-outside-'));
    try {
      const env = runcomfyEnv(emulator, p.root);
      const kontext = (args: readonly string[]): ReturnType<typeof cli> =>
        cli(['run', 'recipe.yml', ...args], { cwd: p.root, env });
      expect((await kontext([])).code).toBe(0);
      // What a hostile checkout could hold: the lock's own path, a link to bytes the lock names.
      const rel = (await p.readLock()).nodes['backdrop']?.output ?? '';
      const output = join(p.root, rel);
      const target = join(outside, 'secret.png');
      await copyFile(output, target);
      await rm(output);
      await symlink(target, output);
      const before = calls();
      const lockBytes = await readFile(p.lockPath);
      const r = await kontext(['--frozen']);
      expect(r.code, r.stderr).toBe(65);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(
        `${JSON.stringify(rel)} leads to ${await realpath(target)}: it is outside the project root`,
      );
      expect(lines[0]).toContain('the lock is not at fault');
      expect(lines[0]).not.toContain('restore');
      expect(calls()).toBe(before);
      expect((await readFile(p.lockPath)).equals(lockBytes)).toBe(true);
      expect(await readdir(outside)).toEqual(['secret.png']);
    } finally {
      await p.cleanup();
      await rm(outside, { recursive: true, force: true });
    }
  }, 60_000);

  it('a damaged cached image is dropped and listed (65), never paid for', async () => {
    await project.writeRecipe(YAML);
    const ok = await run([]);
    expect(ok.code, ok.stderr).toBe(0);
    const paid = submits();
    const victim = (await project.readLock()).nodes['backdrop@pet-chelsea']?.output_sha256 ?? '';
    await rm(project.lockPath);
    await rm(join(project.root, 'out'), { recursive: true });
    // Same size, other bytes: the store's hash check catches it and drops it; frozen lists the node.
    const blob = join(project.root, '.cache', 'kontext', 'blobs', victim.slice(0, 2), victim);
    const bytes = await readFile(blob);
    bytes.fill(0x55, 100, 200);
    await chmod(blob, 0o644);
    await writeFile(blob, bytes);
    const r = await run(['--frozen']);
    expect(r.code, r.stderr).toBe(65);
    expect(r.stderr).toMatch(/cached output .* is damaged \(its bytes hash to .*\); dropped from the cache \(the node/);
    expect(r.stderr).toContain('  backdrop@pet-chelsea: new, would need a request');
    expect(r.stderr).toContain('  square@pet-chelsea: blocked by backdrop@pet-chelsea');
    expect(submits()).toBe(paid);
  }, 60_000);

  it('a pass on another provider is never paid for either (its cached image damaged in place)', async () => {
    const p = await createProject(`version: 1
name: test
provider: runcomfy
hosting: { mode: inline }
sources:
  shots: assets/pet-chelsea.jpg
passes:
  - id: backdrop
    prompt: Keep the subject unchanged. Replace the background with a grey studio backdrop.
  - id: shadow
    provider: bfl
    prompt: Keep the subject and the backdrop unchanged. Add a soft contact shadow.
`);
    try {
      const env = runcomfyEnv(emulator, p.root, { BFL_API_BASE: emulator.origin, BFL_API_KEY: 'bfl-test-key' });
      const kontext = (args: readonly string[]): ReturnType<typeof cli> =>
        cli(['run', 'recipe.yml', ...args], { cwd: p.root, env });
      expect((await kontext([])).code).toBe(0);
      const sha = (await p.readLock()).nodes['shadow']?.output_sha256 ?? '';
      const blob = join(p.root, '.cache', 'kontext', 'blobs', sha.slice(0, 2), sha);
      // An old blob, hashed once more (restoring out/) so the store remembers its hash by size,
      // mtime and inode; then damaged in place with all three kept: resolve trusts it, and only
      // the copy into out/ finds the damage, during the run.
      const old = new Date(Date.now() - 3_600_000);
      await utimes(blob, old, old);
      await rm(join(p.root, 'out'), { recursive: true });
      expect((await kontext([])).code).toBe(0);
      await chmod(blob, 0o644);
      const file = await open(blob, 'r+');
      await file.write(Buffer.alloc(100, 0x55), 0, 100, 5000);
      await file.close();
      await utimes(blob, old, old);
      await rm(p.lockPath);
      await rm(join(p.root, 'out'), { recursive: true });

      const posts = (): number => emulator.requestLog().filter((e) => e.method === 'POST' && !e.internal).length;
      const before = posts();
      const r = await kontext(['--frozen']);
      expect(r.stderr).toMatch(/shadow: cached output .* is damaged/);
      expect(r.code, r.stderr).toBe(65);
      expect(r.stderr).toContain('--frozen: a request would be submitted');
      expect(posts()).toBe(before);
    } finally {
      await p.cleanup();
    }
  }, 60_000);

  it('several recipes: a failure naming no file of its own says which recipe it is of (walk-ag 5)', async () => {
    const p = await createProject(YAML);
    try {
      await writeFile(join(p.root, 'b.yml'), YAML.replace('assets/*.jpg', 'assets/pet-chelsea.jpg'));
      await writeFile(join(p.root, 'c.yml'), YAML.replace('passes:', 'passes: 3\nextra:'));
      const env = runcomfyEnv(emulator, p.root);
      const before = calls();
      const r = await cli(['run', '--frozen', 'recipe.yml', 'b.yml', 'c.yml'], { cwd: p.root, env });
      expect(r.code).toBe(65);
      const heads = r.stderr.split('\n').filter((l) => !l.startsWith('  '));
      expect(heads[0]).toMatch(/^kontext: recipe\.yml: --frozen: 12 nodes in no cache /);
      expect(heads[1]).toMatch(/^kontext: b\.yml: --frozen: 3 nodes in no cache /);
      // A recipe's own problems are at their file:line:col, as ever.
      expect(heads[2]).toBe('c.yml:7:9: passes: expected a list, got 3');
      expect(calls()).toBe(before);
    } finally {
      await p.cleanup();
    }
  }, 60_000);
});
