/**
 * End to end: the BUILT CLI (`node dist/cli/bin.js`) spawned as a child process, as a user
 * runs it. Exit codes (docs/architecture.md#exit-codes), error lines with file:line:col, plan formats, and a
 * real `run` of an example recipe on the built-in emulator, twice (the second all cached).
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliEnv, ensureBuilt } from '../helpers/cli-spawn.js';
import { EXAMPLES, REPO_ROOT } from '../helpers/run-fixtures.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'recipes');
const FAST = { KONTEXT_EMULATOR_QUEUE_MS: '5', KONTEXT_EMULATOR_RUN_MS: '10' };
let home: string;
const env = (extra: Record<string, string> = {}): Record<string, string> => cliEnv(home, { ...FAST, ...extra });
const inRepo = (args: readonly string[]) => cli(args, { cwd: REPO_ROOT, env: env() });

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'kontext-e2e-home-'));
  await ensureBuilt();
}, 180_000);
afterAll(() => rm(home, { recursive: true, force: true }));

describe('kontext CLI basics', () => {
  it('--help and --version exit 0', async () => {
    const help = await inRepo(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: kontext/);
    for (const cmd of ['validate', 'plan', 'run', 'edit', 'emulator']) expect(help.stdout).toContain(cmd);
    const version = await inRepo(['--version']);
    expect(version.code).toBe(0);
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout.trim()).toBe(pkg.version);
  });

  it('--help is answered from the build-time cache, which matches what commander prints now', async () => {
    const { renderHelp } = await import('../../src/cli/help-text.js');
    const fresh = await renderHelp();
    expect(fresh).toMatch(/Exit codes:/);
    expect(await readFile(join(REPO_ROOT, 'dist', 'cli', 'help.txt'), 'utf8')).toBe(fresh);
    expect((await inRepo(['-h'])).stdout).toBe(fresh);
  });

  it.each([
    [['frobnicate']],
    [['run']],
    [['run', 'recipes/examples/portrait.yml', '-j', 'abc']],
    [['run', 'recipes/examples/portrait.yml', '--provider', 'nope']],
    [['edit', '--prompt', 'x']],
  ])('bad usage %j exits 64', async (args) => {
    const r = await inRepo(args);
    expect(r.code).toBe(64);
    expect(r.stderr.trim()).not.toBe('');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('validate on every example exits 0', async () => {
    const examples = (await readdir(EXAMPLES))
      .filter((f) => f.endsWith('.yml'))
      .map((f) => join('recipes', 'examples', f));
    expect(examples.length).toBeGreaterThanOrEqual(3);
    const r = await inRepo(['validate', ...examples]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('validate of a broken recipe prints file:line:col on stderr and exits 65', async () => {
    const r = await inRepo(['validate', join('test', 'fixtures', 'recipes', 'unknown-from.yml')]);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(
      /^test\/fixtures\/recipes\/unknown-from\.yml:9:11: passes\[1\]\.from: .*"jackt".*"jacket"/m,
    );
  });

  it('a missing source exits 66 (validate and run)', async () => {
    for (const cmd of ['validate', 'run']) {
      const r = await cli([cmd, join(FIXTURES, 'missing-source.yml')], { cwd: REPO_ROOT, env: env() });
      expect(r.code).toBe(66);
      expect(r.stderr).toMatch(/missing-source\.yml:4:10: sources\.photo: .*pixle\.png/);
    }
  });

  it('plan --json parses; plan --format mermaid starts with flowchart', async () => {
    const json = await inRepo(['plan', 'recipes/examples/portrait.yml', '--json']);
    expect(json.code).toBe(0);
    const plan = JSON.parse(json.stdout) as { nodes: { id: string }[] };
    expect(plan.nodes.map((n) => n.id)).toEqual(
      expect.arrayContaining(['background', 'raincoat', 'umbrella', 'bag#1', 'bag#2', 'bag#3']),
    );
    const mermaid = await inRepo(['plan', 'recipes/examples/portrait.yml', '--format', 'mermaid']);
    expect(mermaid.code).toBe(0);
    expect(mermaid.stdout.startsWith('flowchart')).toBe(true);
  });
});

describe('kontext run / edit on the built-in emulator', () => {
  let project: string;
  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), 'kontext-e2e-'));
    await mkdir(join(project, '.git'));
    // Recipes and images only: the demo leaves lock files and out/ beside the examples.
    await cp(join(EXAMPLES, 'assets'), join(project, 'assets'), { recursive: true });
    for (const f of await readdir(EXAMPLES)) if (f.endsWith('.yml')) await cp(join(EXAMPLES, f), join(project, f));
  });
  afterAll(() => rm(project, { recursive: true, force: true }));

  it('run writes every output and the lock; a second run is all cached with no submit', async () => {
    const first = await cli(['run', 'portrait.yml', '--json'], { cwd: project, env: env() });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const events = first.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; [k: string]: unknown });
    expect(events.at(-1)).toMatchObject({ type: 'run-summary', done: 6, failed: 0, exit_code: 0 });
    const outputs = (await readdir(join(project, 'out', 'portrait'), { recursive: true }))
      .filter((f) => f.endsWith('.png'))
      .sort();
    // URL-safe names: <out>/<pass>/<source>[-v<k>].<ext>
    expect(outputs).toEqual([
      'background/astronaut.png',
      'bag/astronaut-v1.png',
      'bag/astronaut-v2.png',
      'bag/astronaut-v3.png',
      'raincoat/astronaut.png',
      'umbrella/astronaut.png',
    ]);
    expect((await stat(join(project, 'out', 'final', 'astronaut-umbrella.png'))).size).toBeGreaterThan(0);
    const lock = JSON.parse(await readFile(join(project, 'portrait.lock.json'), 'utf8')) as {
      nodes: Record<string, unknown>;
    };
    expect(Object.keys(lock.nodes)).toHaveLength(6);

    const second = await cli(['run', 'portrait.yml'], { cwd: project, env: env() });
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/done 0 · cached 6 · failed 0 · skipped 0 · submitted 0/);

    // Edit the middle pass: it and what depends on it run again
    // (a new in-process emulator, so the cached input is re-hosted).
    const recipe = join(project, 'portrait.yml');
    await writeFile(recipe, (await readFile(recipe, 'utf8')).replace('yellow raincoat', 'green raincoat'));
    const third = await cli(['run', 'portrait.yml'], { cwd: project, env: env() });
    expect(third.code).toBe(0);
    expect(third.stderr).toMatch(/cached\s+background/);
    expect(third.stderr).toMatch(/start\s+raincoat\s+prompt changed/);
    expect(third.stderr).toMatch(/done 5 · cached 1 · failed 0 · skipped 0 · submitted 5/);
    expect(third.stderr).not.toMatch(/warning/);
  });

  it('run --dry-run --explain says why, submits nothing', async () => {
    const r = await cli(['run', 'brand-swap.yml', '--dry-run', '--explain'], { cwd: project, env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/label\s+will run: new\s+seed 7 \(recipe\)/);
    expect(r.stdout).toMatch(/aura\s+will run: new/);
    expect(r.stdout).toMatch(/3 billable requests \(about \$0\.12\), 0 cached; nothing was submitted \(dry run\)/);
    await expect(stat(join(project, 'out', 'brand-swap'))).rejects.toThrow();
  });

  it('edit writes one output and prints its path; the same --seed again is cached', async () => {
    const args = [
      'edit',
      '--image',
      'assets/pet-chelsea.jpg',
      '--prompt',
      'Keep the cat unchanged. Add a bow tie.',
      '--seed',
      '3',
      '--provider',
      'emulator',
      '-o',
      'cat.png',
    ];
    const first = await cli(args, { cwd: project, env: env() });
    expect(first.code).toBe(0);
    expect(first.stdout.trim()).toBe(join(project, 'cat.png'));
    expect((await stat(join(project, 'cat.png'))).size).toBeGreaterThan(0);
    const again = await cli([...args, '--json'], { cwd: project, env: env() });
    expect(again.code).toBe(0);
    const types = again.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { type: string }).type);
    expect(types).toContain('node-cached');
    expect(types).not.toContain('node-start');
  });
});
