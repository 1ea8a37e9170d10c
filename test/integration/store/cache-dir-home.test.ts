/**
 * The default cache dir (journal included) must not depend on the working directory: with
 * `HOME=""` Node's `homedir()` says `''`, and the cache and journal went into `./.cache/kontext`
 * of whatever folder kontext ran from, so a run from another folder missed the journal of the
 * first (no re-attach: paying again). An empty HOME is now the account's home folder; a home that
 * is relative is refused (exit 64, naming HOME) before anything is written.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { createProject, REPO_ROOT, recipeYaml, testRuntime, type Project } from '../../helpers/run-fixtures.js';

let project: Project;
let elsewhere: string;
beforeEach(async () => {
  project = await createProject(recipeYaml([['hat', 'Keep the face unchanged. Add a red hat.']]));
  elsewhere = await mkdtemp(join(tmpdir(), 'kontext-home-'));
});
afterEach(async () => {
  await project.cleanup();
  await rm(elsewhere, { recursive: true, force: true });
});

describe('the default cache dir with an unusable HOME', () => {
  it('HOME="": the account home folder, whatever the working directory (a process whose HOME is empty)', async () => {
    // homedir() reads the process's own HOME: only a process started with HOME="" shows it.
    const script =
      "const m = await import('./src/store/cache-dir.ts');" +
      'for (const cwd of process.argv.slice(1)) console.log(m.resolveCacheDir({ env: process.env, cwd }));';
    const env = { PATH: process.env['PATH'] ?? '', HOME: '' };
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script, project.root, elsewhere],
      { cwd: REPO_ROOT, env },
    );
    const expected = join(userInfo().homedir, '.cache', 'kontext');
    expect(stdout.trim().split('\n')).toEqual([expected, expected]);
  });

  it('HOME relative: refused with exit 64 naming HOME, nothing written in the working directory', async () => {
    const rt = testRuntime(elsewhere, { HOME: 'home', XDG_CACHE_HOME: '' });
    const code = await main(['run', project.recipe], { rt });
    expect(code).toBe(64);
    expect(rt.stderr.text()).toMatch(/HOME is relative \("home"\)/);
    expect(await readdir(elsewhere)).toEqual([]);
  });
});
