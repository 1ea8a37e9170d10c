/// <reference lib="dom" />
// Page functions run in the browser: DOM types for the code inside page.evaluate().
/**
 * A served page whose watch process is frozen (walk-ac 4: `kill -STOP`, a debugger, a laptop
 * suspended with the tab elsewhere): its socket stays open and raises no error, so the page went on
 * showing the green `live` dot over its old state for as long as the process was stopped. The
 * server now sends a `ping` event every `pingMs`; a page that hears nothing for over two says
 * `reconnecting… (the watch is not answering: asleep or stopped?)` and opens its stream again, never
 * that the watch has stopped (only a refused stream is that: report-watch-restart.test.ts), and is
 * live once the server answers again.
 * The server runs in a child process of its own (the built package), so that it can be stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, ensureBuilt } from '../helpers/cli-spawn.js';
import { createProject, recipeYaml, REPO_ROOT, until, type Project } from '../helpers/run-fixtures.js';
import { ARTIFACTS, useBrowser } from './chromium.js';

const browser = useBrowser();
const PING_MS = 500;
let project: Project | undefined;
let child: ChildProcess | undefined;
beforeAll(async () => {
  await ensureBuilt();
}, 180_000);
afterEach(async () => {
  child?.kill('SIGCONT');
  child?.kill('SIGKILL');
  await project?.cleanup();
  child = project = undefined;
});

/** `startReportServer` of the built package in a child process; its page's URL once it is built. */
async function serveInChild(p: Project): Promise<{ c: ChildProcess; url: string }> {
  const index = pathToFileURL(join(REPO_ROOT, 'dist', 'index.js')).href;
  const script = [
    `import { createRuntime, startReportServer } from ${JSON.stringify(index)};`,
    `const rt = createRuntime({ cwd: ${JSON.stringify(p.root)} });`,
    `const s = await startReportServer(${JSON.stringify(p.recipe)}, { port: 0, pingMs: ${PING_MS} }, { rt });`,
    'await s.ready;',
    // A line on stdin: rebuild, as a watch cycle's events make it do.
    "process.stdin.on('data', () => void s.refresh());",
    "process.stdout.write('url ' + s.url + '\\n');",
  ].join('\n');
  const c = (child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: p.root,
    env: cliEnv(p.root),
    stdio: ['pipe', 'pipe', 'pipe'],
  }));
  let out = '';
  c.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  c.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  await until(
    () => /^url /m.test(out),
    15_000,
    'the server in the child',
    () => out,
  );
  return { c, url: /^url (\S+)/m.exec(out)?.[1] ?? '' };
}

const dotText = (): string => document.querySelector('#livedot')?.textContent ?? '';

describe('run --watch --serve in Chromium: the watch process frozen', () => {
  it('the page leaves "live" within about three pings, and is live again once the process goes on', async () => {
    const p = (project = await createProject(recipeYaml([['sky', 'Keep the face unchanged. Make the sky orange.']])));
    const { c, url } = await serveInChild(p);
    const page = await browser.page({ width: 1000, height: 500 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForSelector('#livedot.on');
    // Live it stays while the pings come: no false alarm over several of them.
    await new Promise((r) => setTimeout(r, PING_MS * 3));
    expect(await page.evaluate(dotText)).toBe('live');

    c.kill('SIGSTOP');
    const stopped = Date.now();
    // Before the fix: `live` for as long as the process was stopped (60 s in walk-ac 4).
    await page.waitForSelector('#livedot:not(.on)', { timeout: PING_MS * 6 });
    const noticed = Date.now() - stopped;
    const silent = 'reconnecting\u2026 (the watch is not answering: asleep or stopped?)';
    expect(await page.evaluate(dotText)).toBe(silent);
    expect(noticed).toBeGreaterThanOrEqual(PING_MS);
    // Frozen past the few seconds after which a refused stream is called stopped: still only not answering
    // (walk-ak 4: "the watch has stopped … a new watch prints its URL", while it held the run lock).
    await new Promise((r) => setTimeout(r, 5_000 + PING_MS * 3));
    expect(await page.evaluate(dotText)).toBe(silent);
    await page.screenshot({ path: join(ARTIFACTS, 'report-watch-frozen.png') });
    await writeFile(p.recipe, (await readFile(p.recipe, 'utf8')).replace('orange', 'green'));

    c.kill('SIGCONT');
    await page.waitForSelector('#livedot.on', { timeout: 5_000 });
    expect(await page.evaluate(dotText)).toBe('live');
    // The stream opened again is the one pushed to: the recipe edited meanwhile shows.
    c.stdin?.write('refresh\n');
    await page.waitForSelector('text=Make the sky green.', { timeout: 10_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'report-watch-thawed.png') });
    expect(errors).toEqual([]);
    await page.close();
  }, 30_000);
});
