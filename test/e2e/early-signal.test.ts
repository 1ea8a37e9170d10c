/**
 * A signal that comes while the CLI is still loading (before `main` listens) used to end the
 * process by the signal itself: no exit 130, nothing said (walk-z 5). launch.ts keeps it for
 * `main`, and the command starts interrupted: exit 130, one line, nothing submitted. The test hook
 * sends the signal from inside the process right after launch begins (a real signal, its timing
 * exact).
 */
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli-spawn.js';
import { project, runcomfyEnv, submits, tempDir, useEmulator } from '../helpers/e2e-kit.js';

const emulator = useEmulator();

const RECIPE =
  'version: 1\nprovider: runcomfy\nhosting: { mode: inline }\n' +
  'sources:\n  portrait: assets/portrait-astronaut.jpg\n' +
  'passes:\n  - id: scarf\n    prompt: Add a red scarf. Keep everything else unchanged.\n';

describe('a signal while the CLI loads', () => {
  it.each(['SIGTERM', 'SIGINT'])('%s: exit 130, said, nothing submitted', async (signal) => {
    const root = await project(RECIPE);
    const env = runcomfyEnv(emulator(), await tempDir('home'));
    const before = submits(emulator());
    const run = await cli(['run', 'recipe.yml'], {
      cwd: root,
      env: { ...env, KONTEXT_TEST_HOOKS: '1', KONTEXT_TEST_SIGNAL_AT_LAUNCH: signal },
    });
    expect(run.signal, run.stderr).toBeNull();
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr).toMatch(new RegExp(`interrupted by ${signal === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'}`));
    expect(submits(emulator())).toBe(before);
  });
});
