/**
 * The README's programmatic-API example is code a newcomer will paste: run it as written,
 * against the built package, in a copy of the examples, so it cannot drift into a trap.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, ensureBuilt } from '../helpers/cli-spawn.js';
import { EXAMPLES, REPO_ROOT } from '../helpers/run-fixtures.js';

const run = promisify(execFile);

/** The first ```ts block under the "## Programmatic API" heading. */
function apiExample(readme: string): string {
  const section = readme.slice(readme.indexOf('## Programmatic API'));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (!match?.[1]) throw new Error('README has no ```ts block under "## Programmatic API"');
  return match[1];
}

describe('README programmatic API example', () => {
  let dir: string;
  beforeAll(async () => {
    await ensureBuilt();
    dir = await mkdtemp(join(tmpdir(), 'kontext-readme-'));
    await mkdir(join(dir, '.git'));
    await cp(join(EXAMPLES, 'portrait.yml'), join(dir, 'recipes', 'examples', 'portrait.yml'));
    await cp(join(EXAMPLES, 'assets'), join(dir, 'recipes', 'examples', 'assets'), { recursive: true });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs as written: validates text and a file, plans, and runs the example on the emulator', async () => {
    const code = apiExample(await readFile(join(REPO_ROOT, 'README.md'), 'utf8'));
    expect(code).toContain("from 'kontext'");
    const entry = pathToFileURL(join(REPO_ROOT, 'dist', 'index.js')).href;
    const script = join(dir, 'example.mjs');
    await writeFile(script, code.replace("from 'kontext'", `from '${entry}'`));
    const env = cliEnv(join(dir, 'home'), { KONTEXT_CACHE_DIR: join(dir, 'cache') });
    const { stdout } = await run(process.execPath, [script], { cwd: dir, env, timeout: 60_000 });
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('[]'); // the inline recipe text is valid
    expect(lines[1]).toBe('0'); // and so is the example file
    expect(stdout).toContain('node-done');
    expect(lines.at(-1)).toBe('run');
    const lock = JSON.parse(await readFile(join(dir, 'recipes', 'examples', 'portrait.lock.json'), 'utf8'));
    expect(Object.keys(lock.nodes).length).toBeGreaterThan(0);
  });
});
