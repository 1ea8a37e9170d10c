/**
 * A run killed (kill -9, by the CLI's own test hook) while a submit the API refused (429 with a
 * `Retry-After`) waits to be sent again: nothing of it was on the wire, and its intent said so
 * (`refused_at`, run/submit-between.ts), so the next run submits the node, once, and exits 0, rather
 * than stopping it as maybe paid (exit 75, "check the dashboard") as it did (walk-z 1). A run killed
 * with the plain intent (the window right before a send) still stops it as maybe paid. Status and
 * `--dry-run` meanwhile say the earlier submit was refused, nothing paid (walk-aj 4), as do the report's
 * cell and the next run's line for the node.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli-spawn.js';
import { project, runcomfyEnv, tempDir, useEmulator } from '../helpers/e2e-kit.js';

const emulator = useEmulator();

const RECIPE =
  'version: 1\nprovider: runcomfy\nhosting: { mode: inline }\ndefaults: { seed: 5 }\n' +
  'sources:\n  portrait: assets/portrait-astronaut.jpg\n' +
  'passes:\n  - id: scarf\n    prompt: Add a red scarf. Keep everything else unchanged.\n';

/** Submits the API accepted (a 429 is not one). */
function accepted(): number {
  return emulator()
    .requestLog()
    .filter((e) => e.method === 'POST' && e.path.startsWith('/v1/models/') && !e.internal && e.status === 200).length;
}

describe('a run killed while a refused submit waits to be sent again', () => {
  it('leaves nothing maybe paid: the next run submits the node once and exits 0', async () => {
    const root = await project(RECIPE);
    const env = runcomfyEnv(emulator(), await tempDir('home'));
    emulator().setScenario({ faults: [{ kind: 'http', on: 'submit', nth: 1, status: 429, retry_after: 30 }] });
    const crash = { ...env, KONTEXT_TEST_HOOKS: '1', KONTEXT_TEST_CRASH_AT: 'submit-refused-marked' };
    const killed = await cli(['run', 'recipe.yml'], { cwd: root, env: crash });
    emulator().setScenario({});
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(killed.stderr).toMatch(/HTTP 429/);
    expect(accepted()).toBe(0);

    // Status and --dry-run say what is known: refused, nothing paid (not "may have submitted it"; walk-aj 4).
    const status = await cli(['status', 'recipe.yml'], { cwd: root, env });
    expect(status.stdout).toMatch(
      /scarf\s+the API refused an earlier run's submit of it \(nothing was paid\); submitted/,
    );
    expect(status.stdout).not.toMatch(/may have submitted/);
    const dry = await cli(['run', '--dry-run', 'recipe.yml'], { cwd: root, env });
    expect(dry.stdout).toMatch(/will run: the API refused an earlier run's submit of it \(nothing was paid\)/);
    // And the review sheet's cell: why it is not run yet ("refused", not the maybe-paid "take-over").
    const report = await cli(['report', 'recipe.yml', '--json'], { cwd: root, env });
    expect(report.code, report.stderr).toBe(0);
    const html = await readFile((JSON.parse(report.stdout) as { index: string }).index, 'utf8');
    expect(html).toMatch(/"id":"scarf"[^}]*"why":"refused"/);
    const again = await cli(['run', 'recipe.yml'], { cwd: root, env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/maybe paid/);
    // So does the run's own line for the node (it said "unsettled", as of a maybe-paid intent).
    expect(again.stderr + again.stdout).toMatch(
      /scarf\s+the API refused an earlier run's submit of it \(nothing was paid\); submitting it again/,
    );
    expect(again.stderr + again.stdout).not.toMatch(/unsettled/);
    expect(accepted()).toBe(1);
  }, 60_000);

  it('killed right after its intent, before any reply: maybe paid, exit 75, as before', async () => {
    const root = await project(RECIPE);
    const env = runcomfyEnv(emulator(), await tempDir('home'));
    const before = accepted();
    const crash = { ...env, KONTEXT_TEST_HOOKS: '1', KONTEXT_TEST_CRASH_AT: 'after-intent' };
    expect((await cli(['run', 'recipe.yml'], { cwd: root, env: crash })).signal).toBe('SIGKILL');
    const again = await cli(['run', 'recipe.yml'], { cwd: root, env });
    expect(again.code, again.stderr).toBe(75);
    expect(again.stderr).toMatch(/--resubmit-uncertain/);
    expect(accepted()).toBe(before);
  }, 60_000);
});
