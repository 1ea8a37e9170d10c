/**
 * kontext as a library inside someone else's Node program, in a process of its own, the package
 * imported by its name (its `exports` map, as an installed copy resolves it):
 * - ESM `import` and CommonJS `require` both load the API; files outside it cannot be imported;
 * - three runs at once (recipes sharing the cache: two asking the same requests, each paid once;
 *   one on the runcomfy provider against the emulator, the token only in the runtime) leave the
 *   process as they found it: no exit, no
 *   chdir, nothing written to stdout/stderr, no signal or exit handlers, no environment change,
 *   no unhandled rejection, and the process ends by itself once they resolve;
 * - the token is in no event, lock, output or cache file.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cliEnv } from '../helpers/cli-spawn.js';
import { files, tempDir, useEmulator } from '../helpers/e2e-kit.js';
import { ASSETS, REPO_ROOT } from '../helpers/run-fixtures.js';

const run = promisify(execFile);
const emulator = useEmulator();
const FIXTURES = join(REPO_ROOT, 'test', 'e2e', 'fixtures');
const TOKEN = 'embedded-token-7f3a9c';

const recipe = (provider: string): string =>
  [
    'version: 1',
    'name: portrait',
    `provider: ${provider}`,
    'sources: { astronaut: assets/portrait-astronaut.jpg }',
    'passes:',
    '  - { id: background, prompt: "Replace the background with a rainy street", seed: 1 }',
    '  - { id: raincoat, prompt: "Change the flight suit to a yellow raincoat", seed: 2 }',
    '',
  ].join('\n');

describe('kontext embedded in a Node program', () => {
  it('loads by name from ESM and CommonJS; its internal modules are not reachable', async () => {
    const dir = await tempDir('embed-load');
    const env = cliEnv(join(dir, 'home'));
    const esm = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const k = await import('kontext'); console.log(JSON.stringify(Object.keys(k).sort()))",
      ],
      { cwd: REPO_ROOT, env },
    );
    const cjs = await run(process.execPath, [join(FIXTURES, 'require-child.cjs')], { cwd: dir, env });
    const names = JSON.parse(esm.stdout) as string[];
    expect(names).toContain('runRecipe');
    expect(JSON.parse(cjs.stdout)).toEqual(names);
    const deep = await run(
      process.execPath,
      ['--input-type=module', '-e', "await import('kontext/dist/run/scheduler.js')"],
      { cwd: REPO_ROOT, env },
    ).catch((e: { stderr: string }) => e);
    expect((deep as { stderr: string }).stderr).toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it('three runs at once leave the process untouched, and it exits by itself', { timeout: 60_000 }, async () => {
    const dir = await tempDir('embed-run');
    await mkdir(join(dir, '.git'));
    await cp(join(ASSETS, 'portrait-astronaut.jpg'), join(dir, 'assets', 'portrait-astronaut.jpg'));
    await writeFile(join(dir, 'local.yml'), recipe('emulator'));
    await writeFile(join(dir, 'copy.yml'), recipe('emulator').replace('name: portrait', 'name: copy'));
    await writeFile(join(dir, 'hosted.yml'), recipe('runcomfy').replace('name: portrait', 'name: hosted'));
    const env = cliEnv(join(dir, 'home'), { KONTEXT_CACHE_DIR: join(dir, 'cache') });
    const started = Date.now();
    const child = await run(
      process.execPath,
      [join(FIXTURES, 'embed-child.mjs'), emulator().baseUrl, TOKEN],
      // Killed (and failing) if a timer or socket kept the process alive after the runs.
      { cwd: dir, env, timeout: 45_000 },
    );
    expect(child.stderr).toBe('');
    const report = JSON.parse(child.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      touched: [],
      changedEnv: [],
      cwdChanged: false,
      rejections: [],
      tokenInEvents: false,
      listenersAfter: report['listenersBefore'],
      resources: ['Timeout'], // the child's own report timer: no socket, server or timer of the runs is left
    });
    const [local, copy, hosted] = report['results'] as { exitCode: number; done: number; submitted: number }[];
    expect([local?.exitCode, copy?.exitCode, hosted?.exitCode]).toEqual([0, 0, 0]);
    // local.yml and copy.yml ask the same two requests: each paid once, by one run or the other.
    expect((local?.submitted ?? 0) + (copy?.submitted ?? 0)).toBe(2);
    expect(hosted).toMatchObject({ done: 2, submitted: 2 });
    // (and a `warning`: a run waiting for the other's request of the same node)
    const types = ['node-done', 'node-start', 'node-state', 'run-start', 'run-summary'];
    expect(report['eventTypes']).toEqual(expect.arrayContaining(types));
    expect(report['eventTypes']).not.toContain('node-failed');
    expect(Date.now() - started).toBeLessThan(45_000);
    for (const file of await files(dir)) {
      if (/\.(png|jpe?g|webp)$/.test(file)) continue;
      expect(await readFile(join(dir, file), 'utf8'), file).not.toContain(TOKEN);
    }
    expect(await files(dir)).toContain('local.lock.json');
  });
});
