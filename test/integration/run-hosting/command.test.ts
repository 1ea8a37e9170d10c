/**
 * `hosting: command` end to end: a real upload script (test/fixtures/hosting/upload-to-folder.sh)
 * copies each image into a folder that a local http server serves, and prints its URL; the
 * emulator (as the RunComfy API) fetches it from there. A recipe's command runs only when the
 * user trusts it: `--trust-hosting-command`, or the same command in the user config.
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { HostingError } from '../../../src/hosting/index.js';
import { until } from '../../helpers/run-fixtures.js';
import type { HostingConfig, KontextError } from '../../../src/index.js';
import { failures, submittedUrls, summaryOf, type Project } from './harness.js';
import { recipeYaml } from './recipe.js';
import { UPLOAD_COMMAND, useServedCommand } from './served-command.js';
import type { StaticServer } from './static-server.js';

/** The error a run that must fail throws. */
async function failure(p: Promise<unknown>): Promise<KontextError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err as KontextError,
  );
  if (e === null) throw new Error('expected the run to fail');
  return e;
}

const SCRIPT = fileURLToPath(new URL('../../fixtures/hosting/upload-to-folder.sh', import.meta.url));
const COMMAND = UPLOAD_COMMAND;

let served: string;
let web: StaticServer;
let project: Project;
useServedCommand((s) => ({ served, web, project } = s));
beforeEach(() => copyFile(SCRIPT, join(project.root, 'scripts', 'upload.sh')));

async function uploads(): Promise<string[]> {
  const text = await readFile(join(served, 'uploads.log'), 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '');
}

async function writeUserConfig(hosting: HostingConfig): Promise<void> {
  await mkdir(project.configDir, { recursive: true });
  await writeFile(join(project.configDir, 'config.json'), JSON.stringify({ hosting }));
}

describe('kontext run with hosting: command', () => {
  it('runs the command once per distinct source, chains remote URLs, and again only after the URL TTL', async () => {
    await project.writeRecipe(recipeYaml({ hosting: COMMAND }));
    const first = await project.run({ options: { trustHostingCommand: true } });
    expect(failures(first)).toEqual([]);
    expect(summaryOf(first)).toMatchObject({ exitCode: 0, done: 5, submitted: 5 });
    const calls = await uploads();
    expect(calls).toHaveLength(3);
    expect(calls.every((l) => / image\/jpeg \d+$/.test(l))).toBe(true);
    // Each image fetched twice: by kontext's check of the URL (verify-url.ts), then by the API.
    // A response is logged once the server has sent it, which may come after the client has read it.
    const served200 = () => web.requests.filter((r) => r.status === 200);
    await until(() => served200().length >= 6, 5_000, 'six image GETs logged');
    expect(served200()).toHaveLength(6);
    const urls = submittedUrls(project).map((u) => u.url);
    expect(urls.filter((u) => u.startsWith(`${web.origin}/files/`))).toHaveLength(3);
    expect(urls.filter((u) => u.startsWith(`${project.emulator.origin}/files/`))).toHaveLength(2);

    const second = await project.run({ options: { trustHostingCommand: true } });
    expect(summaryOf(second)).toMatchObject({ exitCode: 0, cached: 5, submitted: 0 });
    const forced = await project.run({ options: { trustHostingCommand: true, force: ['background'] } });
    expect(summaryOf(forced)).toMatchObject({ exitCode: 0, submitted: 1 });
    expect(await uploads()).toHaveLength(3);

    // The command's URLs are trusted for 1 h by default: two hours on, it runs again.
    const later = await project.run({
      now: () => Date.now() + 2 * 3600_000,
      options: { trustHostingCommand: true, force: ['background'] },
    });
    expect(summaryOf(later)).toMatchObject({ exitCode: 0, submitted: 1 });
    expect(await uploads()).toHaveLength(4);
  });

  it("refuses a recipe's command the user has not trusted: nothing runs, nothing is submitted", async () => {
    await project.writeRecipe(recipeYaml({ hosting: COMMAND }));
    const error = await project.run().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HostingError);
    expect(error).toMatchObject({ code: 'E_HOSTING_COMMAND_UNTRUSTED', exitCode: 77 });
    expect((error as Error).message).not.toContain('upload.sh');
    expect(await uploads()).toEqual([]);
    expect(project.submits()).toEqual([]);

    // A dry run executes nothing, so it needs no trust.
    const dry = await project.run({ options: { dryRun: true } });
    expect(dry.result.kind === 'dry-run' && dry.result.report.rows[0]?.input).toBe(
      'will upload 32.9 kB (via hosting command)',
    );
    // Another command in the user config does not vouch for this one.
    await writeUserConfig({ mode: 'command', command: ['./scripts/upload.sh'] });
    await expect(project.run()).rejects.toMatchObject({ code: 'E_HOSTING_COMMAND_UNTRUSTED' });
  });

  it('runs a command from the user config, and a recipe command the user config names too', async () => {
    await writeUserConfig(COMMAND);
    await project.writeRecipe(recipeYaml());
    const fromUser = await project.run();
    expect(failures(fromUser)).toEqual([]);
    expect(summaryOf(fromUser)).toMatchObject({ exitCode: 0, done: 5 });
    expect(await uploads()).toHaveLength(3);

    await project.writeRecipe(
      recipeYaml({
        hosting: { ...COMMAND, timeout_seconds: 30 },
        prompts: { label: 'Keep the object unchanged. Replace the background with light grey.' },
      }),
    );
    const same = await project.run();
    expect(failures(same)).toEqual([]);
    expect(summaryOf(same)).toMatchObject({ exitCode: 0, done: 2 });
  });

  it('run: exit 77 with a one-line reason without trust, exit 0 with --trust-hosting-command (old name)', async () => {
    await project.writeRecipe(recipeYaml({ hosting: COMMAND }));
    const refused = await project.cli(['run', project.recipePath]);
    expect(refused.code).toBe(77);
    expect(refused.stderr).toMatch(/hosting\.command: the hosting command would run on this machine/);
    expect(refused.stderr).toMatch(/--trust-recipe-hosting/);
    expect(refused.stderr).not.toContain('upload.sh');
    expect(await uploads()).toEqual([]);

    const trusted = await project.cli(['run', project.recipePath, '--trust-hosting-command', '--json']);
    expect(trusted.stderr).toBe('');
    expect(trusted.code).toBe(0);
    expect(await uploads()).toHaveLength(3);
  });

  it('url_ttl_seconds: 0 in the recipe runs the command every time an image is needed, once per node', async () => {
    await project.writeRecipe(recipeYaml({ hosting: { ...COMMAND, url_ttl_seconds: 0 } }));
    expect(summaryOf(await project.run({ options: { trustHostingCommand: true } }))).toMatchObject({
      exitCode: 0,
      done: 5,
    });
    expect(await uploads()).toHaveLength(3);
    const forced = await project.run({ options: { trustHostingCommand: true, force: ['background'] } });
    expect(summaryOf(forced)).toMatchObject({ exitCode: 0, submitted: 1 });
    expect(await uploads()).toHaveLength(4);
  });

  it('presign_ttl_seconds under 15 min is refused in the user config, with its line', async () => {
    await project.writeRecipe(recipeYaml());
    await mkdir(project.configDir, { recursive: true });
    const config = JSON.stringify({ hosting: { mode: 's3', bucket: 'b', presign_ttl_seconds: 60 } }, null, 2);
    await writeFile(join(project.configDir, 'config.json'), config);
    const fromConfig = await failure(project.run());
    expect(fromConfig).toMatchObject({ code: 'E_USER_CONFIG', exitCode: 65 });
    const line = config.split('\n').findIndex((l) => l.includes('presign_ttl_seconds')) + 1;
    expect(fromConfig.message).toMatch(
      new RegExp(`config\\.json:${line}:\\d+: hosting\\.presign_ttl_seconds: must be at least 900 \\(15 min\\)`),
    );
    expect(await uploads()).toEqual([]);
    expect(project.submits()).toEqual([]);
  });
});
