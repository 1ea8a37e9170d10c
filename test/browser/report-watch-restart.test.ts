/**
 * A tab left open while the watch process restarts on the same port (the default 4780, or the
 * same --port): it reconnects to the new server, whose per-session token it does not have, so
 * every pick was 403 "forbidden" while the page looked live. The new server's event stream names
 * its session; the page sees it is not the one it was built by and reloads, and a pick works.
 * While no server answers, the page first says "reconnecting…", then that the watch has stopped.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../src/index.js';
import { cliEnv, ensureBuilt, spawnCli, type CliChild } from '../helpers/cli-spawn.js';
import { createProject, until, type Project } from '../helpers/run-fixtures.js';
import { watchRecipe } from '../integration/watch/harness.js';
import { ARTIFACTS, useBrowser } from './chromium.js';
import { pressPick } from './watch-serve.js';

const browser = useBrowser();
let emulator: EmulatorHandle | undefined;
let project: Project | undefined;
const children: CliChild[] = [];
beforeAll(async () => {
  await ensureBuilt();
}, 180_000);
afterEach(async () => {
  for (const c of children.splice(0))
    if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
  await emulator?.close();
  await project?.cleanup();
  emulator = project = undefined;
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('a page left open across a restart of run --watch --serve', () => {
  it('reloads once the new server is up, and its pick is written (not 403)', async () => {
    const yaml = watchRecipe([
      ['a', 'Keep the face unchanged. Make the sky orange.'],
      ['bag', 'Keep the face unchanged. Add a brown bag.', 'variants: 2'],
    ]);
    const em = (emulator = await startEmulator({ queueMs: 10, runMs: 300 }));
    const p = (project = await createProject(yaml));
    const env = cliEnv(p.root, {
      RUNCOMFY_MODEL_API_BASE: em.baseUrl,
      KONTEXT_ALLOW_HOSTS: '127.0.0.1',
      RUNCOMFY_TOKEN: 'test-token',
    });
    const port = await freePort();
    const watch = (): CliChild => {
      const c = spawnCli(['run', '--watch', '--serve', '--port', String(port), p.recipe], { cwd: p.root, env });
      children.push(c);
      return c;
    };
    const first = watch();
    await until(() => /done 3 · cached 0/.test(first.output()), 20_000, 'the first run', first.output);
    const page = await browser.page({ width: 1200, height: 700 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${port}/report/`);
    await page.waitForSelector('#livedot.on');

    first.child.kill('SIGINT');
    expect((await first.done).code).toBe(130);
    await page.waitForSelector('#livedot:not(.on)');
    // Gone past a few retries, the page says so rather than "reconnecting…" for ever (a watch
    // started again on another port is never found by this page).
    await page.waitForFunction(
      () => /^not live: the watch has stopped/.test(document.querySelector('#livedot')?.textContent ?? ''),
      undefined,
      { timeout: 15_000 },
    );
    await page.screenshot({ path: join(ARTIFACTS, 'report-watch-stopped.png') });
    const reloaded = page.waitForEvent('load', { timeout: 20_000 });
    const second = watch();
    await reloaded; // before the fix the page stayed, reconnected, with the first server's token
    await page.waitForSelector('#livedot.on');
    await pressPick(page, 'bag#2');
    await until(
      async () => /pick: 2/.test(await readFile(p.recipe, 'utf8')),
      10_000,
      'pick: 2 in the recipe',
      second.output,
    );
    await page.waitForSelector('.tile[data-id="bag#2"] .picked-mark', { timeout: 10_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'report-restarted.png') });
    expect(errors).toEqual([]);
    await page.close();
    second.child.kill('SIGINT');
    expect((await second.done).code).toBe(130);
  }, 60_000);
});
