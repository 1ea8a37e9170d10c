/**
 * `kontext edit` killed (kill -9, by the CLI's own test hook) after its request went out but
 * before the reply reached the journal: the request may be paid. The next identical edit says so
 * (exit 75) and is not submitted again; the `--resubmit-uncertain` its message names is an option
 * of `edit` too, and submits it exactly once more, with the journaled seed.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli-spawn.js';
import { project, runcomfyEnv, submits, tempDir, useEmulator } from '../helpers/e2e-kit.js';

const emulator = useEmulator();

describe('kontext edit after a kill -9 mid-submit', () => {
  it('is reported as maybe paid (exit 75), and --resubmit-uncertain submits it once more', async () => {
    const root = await project('version: 1\n');
    const env = runcomfyEnv(emulator(), await tempDir('home'));
    const args = ['edit', '--image', 'assets/portrait-astronaut.jpg', '--prompt', 'Add a red scarf.'];
    const edit = [...args, '--hosting', 'inline', '-o', 'scarf.png'];
    const crash = { ...env, KONTEXT_TEST_HOOKS: '1', KONTEXT_TEST_CRASH_AT: 'after-submit-response' };
    const killed = await cli(edit, { cwd: root, env: crash });
    expect(killed.signal).toBe('SIGKILL');
    expect(submits(emulator())).toBe(1);

    const again = await cli(edit, { cwd: root, env });
    expect(again.code, again.stderr).toBe(75);
    expect(again.stderr).toMatch(/--resubmit-uncertain/);
    expect(submits(emulator())).toBe(1);

    const resubmitted = await cli([...edit, '--resubmit-uncertain'], { cwd: root, env });
    expect(resubmitted.code, resubmitted.stderr).toBe(0);
    expect(submits(emulator())).toBe(2);
    expect(existsSync(join(root, 'scarf.png'))).toBe(true);
  });
});
