/**
 * Two `kontext report` (the built CLI) into one `<out>/report/` at once, as when one is run
 * beside a `--watch --serve` server that rewrites the page on every run event. The first is
 * frozen with its page in place and its images not yet pruned (cli/test-hooks.ts
 * `report-index-written`); a pass is added and run; the second report must not leave a page
 * whose images the first then prunes. Before the fix the second wrote its page with the new
 * pass's thumbnails at once, and the first, going on, removed them as not on its own page.
 */
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliEnv, ensureBuilt, spawnCli } from '../helpers/cli-spawn.js';
import { createProject, recipeYaml, until, type Project } from '../helpers/run-fixtures.js';

let project: Project | undefined;
beforeAll(ensureBuilt, 180_000);
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

const A = ['a', 'Keep the face unchanged. Make the sky orange.'] as const;
const B = ['b', 'Keep everything else unchanged. Add falling snow.'] as const;

describe('two kontext report at once into one folder', () => {
  it('the page left in place shows only images that are there', async () => {
    project = await createProject(recipeYaml([A]));
    const p = project;
    const env = cliEnv(p.root);
    expect((await cli(['run', p.recipe], { cwd: p.root, env })).code).toBe(0);
    const pause = join(p.root, 'report.paused');
    const hooks = {
      KONTEXT_TEST_HOOKS: '1',
      KONTEXT_TEST_PAUSE_AT: 'report-index-written',
      KONTEXT_TEST_PAUSE_FILE: pause,
    };
    const first = spawnCli(['report', p.recipe], { cwd: p.root, env: cliEnv(p.root, hooks) });
    await until(() => existsSync(pause), 20_000, 'the first report to write its page', first.output);

    await p.writeRecipe(recipeYaml([A, B]));
    const ran = await cli(['run', p.recipe], { cwd: p.root, env });
    expect(ran.code, ran.stderr).toBe(0);
    const second = spawnCli(['report', p.recipe], { cwd: p.root, env });
    let ended = false;
    void second.done.then(() => (ended = true));
    await until(() => ended || /waiting for another kontext report/.test(second.output()), 20_000, 'the second');
    await rm(pause);
    const [r1, r2] = await Promise.all([first.done, second.done]);
    expect([r1.code, r2.code], r1.stderr + r2.stderr).toEqual([0, 0]);

    const dir = join(p.outDir, 'report');
    const page = await readFile(join(dir, 'index.html'), 'utf8');
    const images = [...new Set(page.match(/(?:thumbs|inputs|maps)\/[0-9a-f]{64}\.(?:webp|png)/g) ?? [])];
    expect(images.length).toBeGreaterThan(2);
    expect(images.filter((i) => !existsSync(join(dir, i)))).toEqual([]);
  }, 60_000);
});
