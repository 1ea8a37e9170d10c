/**
 * A server's error text is data, not terminal commands: an OSC 8 hyperlink and a clear-screen
 * in `error_message` reach the plain reporter and the error line escaped (`\x1b`), while
 * `--json` keeps the text exactly and stays valid JSON. The BUILT CLI against a standalone
 * emulator (provider: runcomfy via RUNCOMFY_MODEL_API_BASE).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { renderError } from '../../../src/cli/render-error.js';
import { KontextError } from '../../../src/errors.js';
import { startEmulator, type EmulatorHandle } from '../../../src/index.js';
import { cli, cliEnv, ensureBuilt } from '../../helpers/cli-spawn.js';
import { createProject, recipeYaml, type Project } from '../../helpers/run-fixtures.js';

const HOSTILE = 'moderated \u001b]8;;http://evil\u0007click\u001b]8;;\u0007 then \u001b[2J\u009b2J\u0000 done';
// Anything that could start or end an escape sequence: ESC, BEL, CSI (C1), NUL.
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

let emulator: EmulatorHandle | undefined;
let project: Project | undefined;

beforeAll(ensureBuilt, 180_000);
afterEach(async () => {
  await emulator?.close();
  await project?.cleanup();
  emulator = undefined;
  project = undefined;
});

async function setUp(): Promise<Record<string, string>> {
  emulator = await startEmulator({
    queueMs: 10,
    runMs: 10,
    scenario: { faults: [{ kind: 'remote-failed', error: { code: 'content_moderated', message: HOSTILE } }] },
  });
  project = await createProject(
    recipeYaml([['a', 'Keep the face unchanged. Make the sky orange.']], ['hosting: { mode: inline }']).replace(
      'provider: emulator',
      'provider: runcomfy',
    ),
  );
  return cliEnv(project.root, {
    RUNCOMFY_MODEL_API_BASE: emulator.baseUrl,
    KONTEXT_ALLOW_HOSTS: '127.0.0.1',
    RUNCOMFY_TOKEN: 'test-token',
  });
}

describe('control characters in server text', () => {
  it('the plain reporter prints them escaped', async () => {
    const env = await setUp();
    const run = await cli(['run', project!.recipe], { cwd: project!.root, env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('failed');
    expect(run.stderr).toContain('\\x1b]8;;');
    expect(run.stderr).toContain('\\x1b[2J');
    expect(run.stderr).not.toMatch(RAW_CONTROL);
    expect(run.stdout).not.toMatch(RAW_CONTROL);
  }, 60_000);

  it('--json keeps the message as data, in valid JSON', async () => {
    const env = await setUp();
    const run = await cli(['run', project!.recipe, '--json'], { cwd: project!.root, env });
    expect(run.code).toBe(1);
    const events = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; message?: string });
    const failed = events.find((e) => e.type === 'node-failed');
    expect(failed?.message).toContain('\u001b]8;;http://evil\u0007click');
    expect(failed?.message).toContain('\u001b[2J\u009b2J\u0000 done');
    expect(run.stdout).not.toMatch(RAW_CONTROL);
  }, 60_000);

  it('an error line escapes them too, newlines and tabs kept', () => {
    const rendered = renderError(new KontextError('E_X', `${HOSTILE}\n\tnext`, { hint: 'hint \u001b[31m' }), {
      debug: false,
      secrets: [],
    });
    const text = rendered.lines.join('\n');
    expect(text).not.toMatch(RAW_CONTROL);
    expect(text).toContain('\\x1b[2J');
    expect(text).toContain('\\x9b2J');
    expect(text).toContain('\n\tnext');
    expect(text).toContain('hint \\x1b[31m');
  });
});
