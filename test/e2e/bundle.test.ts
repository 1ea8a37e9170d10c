/**
 * The bundled CLI (scripts/bundle-cli.mjs, part of `npm run build`): it answers exactly as the
 * modules tsc built do (zod's messages survive the cut to its English locale), and a second
 * start of a command runs from the V8 code cache with everything working, change maps
 * included (sharp comes through require(): code from the cache cannot import()).
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, ensureBuilt } from '../helpers/cli-spawn.js';
import { createProject, REPO_ROOT, recipeYaml } from '../helpers/run-fixtures.js';

const run = promisify(execFile);
const DIST = join(REPO_ROOT, 'dist', 'cli');
let copy: string;

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function node(args: string[], cwd: string, env: Record<string, string>): Promise<Ran> {
  try {
    const r = await run(process.execPath, args, { cwd, env });
    return { code: 0, ...r };
  } catch (e) {
    const r = e as { code: number; stdout: string; stderr: string };
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  }
}

/**
 * What tsc wrote, bundled by the build's own script into a folder of this test (so its code
 * cache is this test's alone), with the repo's packages beside it as an install would have.
 */
beforeAll(async () => {
  await ensureBuilt();
  copy = await mkdtemp(join(tmpdir(), 'kontext-bundle-'));
  await mkdir(join(copy, 'dist', 'cli'), { recursive: true });
  await run(process.execPath, [join(REPO_ROOT, 'scripts', 'bundle-cli.mjs'), '--out', join(copy, 'dist', 'cli')]);
  await copyFile(join(DIST, 'help.txt'), join(copy, 'dist', 'cli', 'help.txt')).catch(() => undefined);
  await writeFile(join(copy, 'package.json'), '{ "type": "module" }\n');
  await symlink(join(REPO_ROOT, 'node_modules'), join(copy, 'node_modules'));
}, 120_000);

afterAll(async () => {
  await rm(copy, { recursive: true, force: true });
});

const bundled = (args: string[]): string[] => [join(copy, 'dist', 'cli', 'bin.js'), ...args];
/** The same command through the unbundled modules tsc wrote (dist/cli/main.js). */
const unbundled = (args: string[]): string[] => [
  '--input-type=module',
  '-e',
  `const { main } = await import(${JSON.stringify(join(DIST, 'main.js'))});
   process.exitCode = await main(${JSON.stringify(args)}, { process });`,
];

const cacheFiles = async (): Promise<string[]> =>
  (await readdir(join(copy, 'dist', 'cli', '.code-cache')).catch(() => [])).sort();

describe('the bundled CLI', () => {
  it('gives the same zod messages as the unbundled modules (English kept)', { timeout: 60_000 }, async () => {
    const p = await createProject(recipeYaml([['blue', 'Make the background blue.']]));
    try {
      const cases = [
        { allowed_source_roots: [5] }, // zod: "Invalid input: expected string, received number"
        { sources: {} }, // zod: 'Unrecognized key: "sources"'
      ];
      for (const config of cases) {
        await mkdir(join(p.root, 'cfg'), { recursive: true });
        await writeFile(join(p.root, 'cfg', 'config.json'), JSON.stringify(config));
        const env = cliEnv(join(p.root, 'home'), { KONTEXT_CONFIG_DIR: join(p.root, 'cfg') });
        const args = ['run', 'recipe.yml', '--dry-run'];
        const a = await node(bundled(args), p.root, env);
        const b = await node(unbundled(args), p.root, env);
        expect(a.code).toBe(65);
        expect(a).toEqual(b);
      }
    } finally {
      await p.cleanup();
    }
  });

  it('runs a command from the code cache its first run saved, change maps included', {
    timeout: 120_000,
  }, async () => {
    const p = await createProject(recipeYaml([['blue', 'Make the background blue.']]));
    try {
      const env = cliEnv(join(p.root, 'home'));
      await rm(join(copy, 'dist', 'cli', '.code-cache'), { recursive: true, force: true });
      expect((await node(bundled(['--version']), p.root, env)).code).toBe(0);
      expect(await cacheFiles()).toEqual([]); // --version never loads main.cjs

      const first = await node(bundled(['run', 'recipe.yml']), p.root, env);
      expect(first.code, first.stderr).toBe(0);
      const files = await cacheFiles();
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^run-v\d+\.\d+\.\d+-[a-z0-9]+-main\.cjs-\d+-\d+-\d+\.bin$/);
      const saved = await stat(join(copy, 'dist', 'cli', '.code-cache', files[0] ?? ''));

      await p.writeRecipe(recipeYaml([['blue', 'Make the background dark blue.']]));
      const second = await node(bundled(['run', 'recipe.yml']), p.root, env);
      expect(second.code, second.stderr).toBe(0);
      expect(second.stderr + second.stdout).not.toMatch(/warning/);
      expect(second.stderr).toMatch(/submitted 1/);
      // The cache was used, not written again (a rejected one is replaced by a new file).
      const after = await stat(join(copy, 'dist', 'cli', '.code-cache', files[0] ?? ''));
      expect([after.ino, after.mtimeMs]).toEqual([saved.ino, saved.mtimeMs]);
      expect(await cacheFiles()).toEqual(files);

      // Both runs reviewed their node: each record holds a change-map review.
      const records = join(p.root, 'home', '.cache', 'kontext', 'records');
      const texts = await Promise.all(
        (await readdir(records, { recursive: true }))
          .filter((f) => f.endsWith('.json'))
          .map((f) => readFile(join(records, f), 'utf8')),
      );
      expect(texts).toHaveLength(2);
      for (const t of texts) expect(JSON.parse(t)).toHaveProperty('review.map_sha256');
    } finally {
      await p.cleanup();
    }
  });

  it('a command start loads neither child_process nor http (commander and the API import them)', {
    timeout: 60_000,
  }, async () => {
    const p = await createProject(recipeYaml([['blue', 'Make the background blue.']]));
    try {
      const env = cliEnv(join(p.root, 'home'));
      // Node's own list of the built-in modules this process loaded, written when it exits.
      const probe = join(p.root, 'probe.cjs');
      const loaded = join(p.root, 'loaded.json');
      await writeFile(
        probe,
        `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(loaded)}, ` +
          'JSON.stringify(process.moduleLoadList)));\n',
      );
      // The first run edits on the in-process emulator (a node:http server); the next ones are no-ops.
      expect((await node(bundled(['run', 'recipe.yml']), p.root, env)).code).toBe(0);
      for (const args of [
        ['run', 'recipe.yml'],
        ['status', 'recipe.yml'],
        ['validate', 'recipe.yml'],
      ]) {
        const r = await node(['--require', probe, ...bundled(args)], p.root, env);
        expect(r.code, r.stderr).toBe(0);
        const list = JSON.parse(await readFile(loaded, 'utf8')) as string[];
        expect(list.length).toBeGreaterThan(20); // the probe saw the process
        expect(
          list.filter((m) => /^NativeModule (child_process|http)$/.test(m)),
          args.join(' '),
        ).toEqual([]);
      }
    } finally {
      await p.cleanup();
    }
  });
});
