/**
 * `npm pack` makes a package that installs and runs on its own: every file the CLI needs is
 * in `files`, the bin entry works, and the runtime dependencies are the declared ones. The
 * install is offline (`npm ci --offline` from the npm cache that installing this repo filled),
 * so the test never reaches the network.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { cliEnv, ensureBuilt } from '../helpers/cli-spawn.js';
import { REPO_ROOT } from '../helpers/run-fixtures.js';

const run = promisify(execFile);
const dirs: string[] = [];

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  await rm(join(REPO_ROOT, 'dist', 'zz-deleted'), { recursive: true, force: true });
});

describe('npm pack', () => {
  it('produces a package that installs from the lock file and runs an example recipe', {
    timeout: 180_000,
  }, async () => {
    await ensureBuilt();
    const dir = await mkdtemp(join(tmpdir(), 'kontext-pack-'));
    dirs.push(dir);
    // A code cache the CLI made here (dist/cli/.code-cache) belongs to this machine, not the package.
    await mkdir(join(REPO_ROOT, 'dist', 'cli', '.code-cache'), { recursive: true });
    await writeFile(join(REPO_ROOT, 'dist', 'cli', '.code-cache', 'pack-test.bin'), 'local');
    // What tsc wrote for a source since deleted stays in dist/ (tsc never removes it): not shipped.
    await mkdir(join(REPO_ROOT, 'dist', 'zz-deleted'), { recursive: true });
    await writeFile(join(REPO_ROOT, 'dist', 'zz-deleted', 'gone.js'), 'export const gone = 1;\n');
    await writeFile(join(REPO_ROOT, 'dist', 'zz-deleted', 'gone.d.ts'), 'export declare const gone = 1;\n');
    await run('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: REPO_ROOT });
    const tarball = (await readdir(dir)).find((f) => f.endsWith('.tgz'));
    expect(tarball).toBeDefined();
    const pkg = join(dir, 'pkg');
    await mkdir(pkg);
    await run('tar', ['-xzf', join(dir, tarball ?? ''), '-C', pkg, '--strip-components=1']);
    // Only the recipes and their photos ship: no outputs or lock files of a local demo run.
    const examples = await readdir(join(pkg, 'recipes', 'examples'));
    expect(examples.filter((f) => f === 'out' || f.endsWith('.lock.json'))).toEqual([]);
    expect(await readdir(join(pkg, 'dist', 'cli'))).not.toContain('.code-cache');
    expect(await readdir(join(pkg, 'dist'))).not.toContain('zz-deleted');
    expect(await readdir(join(REPO_ROOT, 'dist'))).not.toContain('zz-deleted');
    // No source map pointing at src/, which is not shipped: neither a .map file nor a JS file naming one.
    const shipped = (await readdir(join(pkg, 'dist'), { recursive: true })).map(String);
    expect(shipped.filter((f) => f.endsWith('.map'))).toEqual([]);
    const code = shipped.filter((f) => /\.(c|m)?js$/.test(f));
    expect(code.length).toBeGreaterThan(100);
    const mapped = [];
    for (const f of code)
      if ((await readFile(join(pkg, 'dist', f), 'utf8')).includes('sourceMappingURL=')) mapped.push(f);
    expect(mapped).toEqual([]);
    await copyFile(join(REPO_ROOT, 'package-lock.json'), join(pkg, 'package-lock.json'));
    await run('npm', ['ci', '--omit=dev', '--offline', '--no-audit', '--no-fund'], { cwd: pkg, timeout: 150_000 });

    const env = cliEnv(join(dir, 'home'), { KONTEXT_CACHE_DIR: join(dir, 'cache') });
    const bin = join(pkg, 'dist', 'cli', 'bin.js');
    const version = await run(process.execPath, [bin, '--version'], { cwd: pkg, env });
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const recipe = join('recipes', 'examples', 'brand-swap.yml');
    const result = await run(process.execPath, [bin, 'run', recipe, '--json'], { cwd: pkg, env });
    const summary = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; failed?: number; done?: number })
      .find((e) => e.type === 'run-summary');
    expect(summary?.failed).toBe(0);
    expect(summary?.done).toBeGreaterThan(0);
  });
});
