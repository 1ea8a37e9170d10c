/**
 * `kontext run a.yml b.yml …` through the CLI in-process against a standalone emulator (provider
 * runcomfy, inline hosting): `--max-cost` holds for the whole command, not per recipe; a recipe
 * that stops with an error (no token, invalid) leaves the others to run, with `--json` a
 * `run-error` line for it, and the command exits with the worst code; a recipe path that is no
 * file stops them all before any runs; Ctrl-C stops the command.
 */
import { EventEmitter } from 'node:events';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main, type MainOptions } from '../../../src/cli/main.js';
import { RunEvent, runRecipe, startEmulator, type EmulatorHandle } from '../../../src/index.js';
import { createProject, isSubmit, recipeYaml, testRuntime, until, type Project } from '../../helpers/run-fixtures.js';

let emulator: EmulatorHandle;
let project: Project;
beforeEach(async () => {
  emulator = await startEmulator({ queueMs: 10, runMs: 10 });
});
afterEach(async () => {
  await emulator.close();
  await project?.cleanup();
});

/** A recipe named `name` with `n` passes on provider runcomfy (the test's emulator): $0.04 a request. */
function yaml(name: string, n: number, provider = 'runcomfy'): string {
  const passes = Array.from({ length: n }, (_, i) => [`p${i}`, `Keep the face. Add item ${i} of ${name}.`] as const);
  return recipeYaml(passes, ['hosting: { mode: inline }'])
    .replace('provider: emulator', `provider: ${provider}`)
    .replace('name: test', `name: ${name}`);
}

async function withRecipes(recipes: Record<string, string>): Promise<void> {
  project = await createProject(yaml('first', 1));
  for (const [file, text] of Object.entries(recipes)) await writeFile(join(project.root, file), text);
}

interface Cli {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function cli(argv: readonly string[], process?: MainOptions['process'], env = {}): Promise<Cli> {
  const rt = testRuntime(project.root, {
    RUNCOMFY_MODEL_API_BASE: emulator.baseUrl,
    KONTEXT_ALLOW_HOSTS: '127.0.0.1',
    RUNCOMFY_TOKEN: 'test-token',
    KONTEXT_CACHE_DIR: project.cacheDir,
    ...env,
  });
  const code = await main(argv, process ? { rt, process } : { rt });
  return { code, stdout: rt.stdout.text(), stderr: rt.stderr.text() };
}

const submits = (): number => emulator.requestLog().filter(isSubmit).length;
const events = (text: string): RunEvent[] =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => RunEvent.parse(JSON.parse(l)));

describe('--max-cost with several recipes', () => {
  it('is the limit of the whole command: a recipe may spend what the ones before it left', async () => {
    await withRecipes({ 'a.yml': yaml('a', 3), 'b.yml': yaml('b', 2), 'c.yml': yaml('c', 1) });
    // a: $0.12, then b ($0.08) would make $0.20 > $0.17: refused, nothing paid; c ($0.04) fits.
    const r = await cli(['run', 'a.yml', 'b.yml', 'c.yml', '--max-cost', '0.17']);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain(
      'this run would cost about $0.08 (2 billable requests); with the $0.12 the recipes before it spent, ' +
        'that is over --max-cost $0.17; nothing was submitted',
    );
    expect(submits()).toBe(4);
    expect((await project.outFiles()).filter((f) => f.startsWith('out/b/'))).toEqual([]);
    expect((await project.outFiles()).filter((f) => f.startsWith('out/c/'))).toHaveLength(1);
  });

  it('a dry run counts what the recipes before would pay, as the real run will', async () => {
    await withRecipes({ 'a.yml': yaml('a', 3), 'b.yml': yaml('b', 2) });
    const over = await cli(['run', '--dry-run', 'a.yml', 'b.yml', '--max-cost', '0.15', '--json']);
    expect(over.code).toBe(65);
    // One `dry-run` report a recipe: the real run's error (b's) on stderr only.
    const reports = over.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; cost_usd?: number });
    expect(reports.map((r) => r.type)).toEqual(['dry-run', 'dry-run']);
    expect(reports[0]?.cost_usd).toBeCloseTo(0.12);
    expect(over.stderr).toContain('with the $0.12 the recipes before it spent, that is over --max-cost $0.15');
    const under = await cli(['run', '--dry-run', 'a.yml', 'b.yml', '--max-cost', '0.20']);
    expect(under.code).toBe(0);
    expect(submits()).toBe(0);
  });
});

describe("a limit without --max-cost: KONTEXT_MAX_COST, else the user config's max_cost (walk-t 8)", () => {
  /** The user config holding `text`, in the project's own folder: the env naming it. */
  async function config(text: string): Promise<Record<string, string>> {
    await mkdir(join(project.root, 'config'), { recursive: true });
    await writeFile(join(project.root, 'config', 'config.json'), text);
    return { KONTEXT_CONFIG_DIR: join(project.root, 'config') };
  }

  it("the user config's max_cost stops a run over it before anything is paid; --max-cost overrides it", async () => {
    await withRecipes({ 'a.yml': yaml('a', 3) });
    const env = await config('{ "max_cost": 0.1 }');
    const file = '~/config/config.json'; // the test's HOME is the project
    const over = await cli(['run', 'a.yml'], undefined, env);
    expect(over.code).toBe(65);
    expect(over.stderr).toContain(
      `this run would cost about $0.12 (3 billable requests), over max_cost (${file}) $0.10; nothing was submitted`,
    );
    expect(over.stderr).toContain('nothing was submitted (pass a higher --max-cost, or narrow the run with --only)');
    expect(submits()).toBe(0);
    // The dry run says so too, and the flag wins over the config either way.
    expect((await cli(['run', '--dry-run', 'a.yml'], undefined, env)).code).toBe(65);
    expect((await cli(['run', 'a.yml', '--max-cost', '0.05'], undefined, env)).stderr).toContain(
      'over --max-cost $0.05',
    );
    expect((await cli(['run', 'a.yml', '--max-cost', '1'], undefined, env)).code).toBe(0);
    expect(submits()).toBe(3);
    // --no-max-cost: no limit at all for the command, not even KONTEXT_MAX_COST's $0.
    await writeFile(join(project.root, 'a.yml'), yaml('a', 4));
    const unlimited = await cli(['run', 'a.yml', '--no-max-cost'], undefined, { ...env, KONTEXT_MAX_COST: '0' });
    expect(unlimited.code, unlimited.stderr).toBe(0);
    expect(submits()).toBe(4);
  });

  it('holds for the whole command, as --max-cost does', async () => {
    await withRecipes({ 'a.yml': yaml('a', 3), 'c.yml': yaml('c', 1) });
    const r = await cli(['run', 'a.yml', 'c.yml'], undefined, await config('{ "max_cost": 0.13 }'));
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('with the $0.12 the recipes before it spent, that is over max_cost (');
    expect(submits()).toBe(3);
  });

  it('KONTEXT_MAX_COST (CI) wins over the config; a value that is no amount is a usage error', async () => {
    await withRecipes({ 'a.yml': yaml('a', 2) });
    const env = { ...(await config('{ "max_cost": 100 }')), KONTEXT_MAX_COST: '0.05' };
    const over = await cli(['run', 'a.yml'], undefined, env);
    expect(over.code).toBe(65);
    expect(over.stderr).toContain('over KONTEXT_MAX_COST $0.05; nothing was submitted');
    expect(over.stderr).toContain(
      '(raise KONTEXT_MAX_COST or pass a higher --max-cost, or narrow the run with --only)',
    );
    for (const bad of ['abc', '-1', '5 USD', '1e3'])
      expect(await cli(['run', 'a.yml'], undefined, { ...env, KONTEXT_MAX_COST: bad })).toMatchObject({
        code: 64,
        stderr: expect.stringContaining(`KONTEXT_MAX_COST must be an amount in US dollars (0 or more), not "${bad}"`),
      });
    expect(submits()).toBe(0);
    expect((await cli(['run', 'a.yml'], undefined, { ...env, KONTEXT_MAX_COST: '0.08' })).code).toBe(0);
  });

  it("a max_cost that is no amount is the config file's error at its line and column", async () => {
    await withRecipes({});
    const env = await config('{\n  "max_cost": -1\n}\n');
    const r = await cli(['run', 'recipe.yml'], undefined, env);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('config/config.json:2:3: max_cost: must be 0 or more (US dollars)');
    expect(submits()).toBe(0);
  });
});

describe('--max-cost after a spend not known', () => {
  it('a run with billable requests is refused when what the runs before it spent is unknown', async () => {
    await withRecipes({});
    const rt = testRuntime(project.root, {
      RUNCOMFY_MODEL_API_BASE: emulator.baseUrl,
      KONTEXT_ALLOW_HOSTS: '127.0.0.1',
      RUNCOMFY_TOKEN: 'test-token',
      KONTEXT_CACHE_DIR: project.cacheDir,
    });
    const error = await runRecipe(
      project.recipe,
      { jobs: 1, maxCostUsd: 10, maxCostSpentUsd: null },
      { rt, onEvent: () => undefined },
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_MAX_COST_UNKNOWN_PRICE', exitCode: 65 });
    expect((error as Error).message).toContain('what the recipes before this one spent is not known');
    expect(submits()).toBe(0);
  });
});

describe('a recipe that stops with an error', () => {
  it('does not stop the recipes after it; --json says which failed; the exit code is the worst', async () => {
    // bfl without BFL_API_KEY: not signed in (77); bad.yml: invalid (65); b runs.
    await withRecipes({
      'nokey.yml': yaml('nokey', 1, 'bfl'),
      'bad.yml': yaml('bad', 1).replace('passes:', 'passes: 3\nextra:'),
      'b.yml': yaml('b', 2),
    });
    const r = await cli(['run', 'nokey.yml', 'bad.yml', 'b.yml', '--json']);
    expect(r.code).toBe(77);
    const got = events(r.stdout);
    const ends = got.filter((e) => e.type === 'run-error' || e.type === 'run-summary');
    expect(ends.map((e) => [e.type, e.recipe, e.type === 'run-error' ? e.exit_code : e.exit_code])).toEqual([
      ['run-error', join(project.root, 'nokey.yml'), 77],
      ['run-error', join(project.root, 'bad.yml'), 65],
      ['run-summary', join(project.root, 'b.yml'), 0],
    ]);
    const [nokey, bad] = got.filter((e) => e.type === 'run-error');
    expect(nokey?.code).toBe('E_AUTH');
    expect(nokey?.problems.join('\n')).toMatch(/BFL_API_KEY/);
    expect(bad?.problems.join('\n')).toMatch(/^bad\.yml:\d+:\d+: passes: expected a list/);
    // The errors are printed as ever, on stderr.
    expect(r.stderr).toMatch(/^kontext: .*BFL_API_KEY/m);
    expect(r.stderr).toMatch(/^bad\.yml:\d+:\d+: passes: expected a list/m);
    expect(submits()).toBe(2);
  });

  // walk-ai 3: `run a.yml -- --shard 1/3` paid for all of a.yml, then said "--shard: recipe not found".
  it('a recipe path that is no file stops them all before any runs: exit 66, each named, nothing paid', async () => {
    await withRecipes({ 'a.yml': yaml('a', 1), 'b.yml': yaml('b', 1) });
    await mkdir(join(project.root, 'folder.yml'));
    const files = await readdir(project.root);
    const r = await cli(['run', 'a.yml', 'b.yml', '--json', '--', '--shard', '1/3', 'folder.yml']);
    expect(r.code).toBe(66);
    expect(submits()).toBe(0);
    expect(r.stderr.trim().split('\n')).toEqual([
      `kontext: --shard: recipe not found (looked for ${join(project.root, '--shard')}; it looks like an option ` +
        'given after `--` or in the wrong place: options go before `--`)',
      `kontext: 1/3: recipe not found (looked for ${join(project.root, '1/3')})`,
      'kontext: folder.yml: not a file (pass the path of a .yml recipe)',
      'kontext: no recipe was run: a recipe path that is not a file stops them all',
    ]);
    // Each a `run-error` line, and nothing else on stdout.
    expect(events(r.stdout).map((e) => (e.type === 'run-error' ? [e.recipe, e.exit_code] : e.type))).toEqual([
      [join(project.root, '--shard'), 66],
      [join(project.root, '1/3'), 66],
      [join(project.root, 'folder.yml'), 66],
    ]);
    expect(await readdir(project.root)).toEqual(files); // no lock, no out/
  });

  it('Ctrl-C stops the whole command: the recipes after it do not run', async () => {
    await withRecipes({ 'a.yml': yaml('a', 1), 'b.yml': yaml('b', 1) });
    const release = emulator.hold('queued');
    const proc = Object.assign(new EventEmitter(), {
      exit: (code?: number): never => {
        throw new Error(`exit ${code}`);
      },
    });
    // The process as main sees it: its signals (a second Ctrl-C would exit at once).
    const running = cli(['run', 'a.yml', 'b.yml', '--json'], proc as unknown as MainOptions['process']);
    await until(() => submits() === 1, 20_000, 'the first submit');
    proc.emit('SIGINT', 'SIGINT');
    const r = await running;
    release();
    expect(r.code).toBe(130);
    const ends = events(r.stdout).filter((e) => e.type === 'run-error' || e.type === 'run-summary');
    expect(ends.map((e) => [e.type, e.recipe])).toEqual([['run-summary', join(project.root, 'a.yml')]]);
    expect(submits()).toBe(1);
  });
});
