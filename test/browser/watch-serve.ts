/**
 * `kontext run --watch --serve` for a browser test: a fresh emulator and project per test, the
 * built CLI watching the recipe, and the page's URL once the first run is done. The child, the
 * emulator and the project go after each test.
 */
import type { Page } from 'playwright-core';
import { afterEach, beforeAll } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../src/index.js';
import { cliEnv, ensureBuilt, spawnCli, type CliChild } from '../helpers/cli-spawn.js';
import { createProject, until, type Project } from '../helpers/run-fixtures.js';

export interface Served {
  readonly p: Project;
  readonly em: EmulatorHandle;
  readonly c: CliChild;
  readonly url: string;
}

export interface ServeOptions {
  /** More flags for `run --watch --serve`. */
  readonly flags?: readonly string[];
  /** Done to the project before the watch starts. */
  readonly before?: (p: Project) => Promise<void>;
}

/** Call at the top of a test file: `serve(yaml, firstRun)` starts a watch whose emulator runs each job `runMs`. */
export function useWatchServe(runMs: number): (yaml: string, firstRun: RegExp, o?: ServeOptions) => Promise<Served> {
  let emulator: EmulatorHandle | undefined;
  let project: Project | undefined;
  let child: CliChild | undefined;
  beforeAll(async () => {
    await ensureBuilt();
  }, 180_000);
  afterEach(async () => {
    if (child && child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
    await emulator?.close();
    await project?.cleanup();
    child = emulator = project = undefined;
  });
  return async (yaml, firstRun, o = {}) => {
    const em = (emulator = await startEmulator({ queueMs: 10, runMs }));
    const p = (project = await createProject(yaml));
    await o.before?.(p);
    const env = cliEnv(p.root, {
      RUNCOMFY_MODEL_API_BASE: em.baseUrl,
      KONTEXT_ALLOW_HOSTS: '127.0.0.1',
      RUNCOMFY_TOKEN: 'test-token',
    });
    const args = ['run', '--watch', '--serve', '--port', '0', ...(o.flags ?? []), p.recipe];
    const c = (child = spawnCli(args, { cwd: p.root, env }));
    await until(
      () => firstRun.test(c.output()),
      20_000,
      'the first run',
      () => c.output(),
    );
    const url = /review sheet for .*: (http:\/\/127\.0\.0\.1:\d+\/report\/)/.exec(c.output())?.[1];
    if (url === undefined) throw new Error(`no URL printed: ${c.output()}`);
    return { p, em, c, url };
  };
}

/**
 * Press a pick button as a person who means it: once, and once more when the page asks for a
 * confirming press (a pick that may start paid requests: src/report/page/script-view.ts `mayPay`).
 * Returns whether it asked.
 */
export async function pressPick(page: Page, node: string): Promise<boolean> {
  const button = `button.pick[data-pick="${node}"]`;
  await page.click(button);
  const asked = /^confirm /.test((await page.textContent(button)) ?? '');
  if (asked) await page.click(button);
  return asked;
}
