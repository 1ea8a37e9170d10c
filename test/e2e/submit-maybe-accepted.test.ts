/**
 * A RunComfy submit answered 503 may have been accepted (RunComfy documents no refusal but 429, no
 * idempotency key, and its own clients never retry a paid request): the BUILT CLI does not send it
 * again, reports it as maybe paid, keeps its intent, and the next run stops the pass (exit 75)
 * until `--resubmit-uncertain` submits it once more, with the same seed. Counted at the emulator. Its
 * start line never says it re-attaches: there is no request id to re-attach to.
 */
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli-spawn.js';
import { project, runcomfyEnv, submits, tempDir, useEmulator } from '../helpers/e2e-kit.js';

const emulator = useEmulator();

const ONE = `version: 1
name: one
provider: runcomfy
hosting: { mode: inline }
sources:
  photo: assets/portrait-astronaut.jpg
passes:
  - id: crop
    prompt: "Crop the photo to a square around the face"
`;

describe('a submit answered 5xx is maybe paid, never sent twice', () => {
  it('503 on submit: sent once, exit 69 "maybe paid"; next run stops it (75); --resubmit-uncertain once', async () => {
    const em = emulator();
    const root = await project(ONE);
    const env = runcomfyEnv(em, await tempDir('home'));
    em.setScenario({ faults: [{ kind: 'http', on: 'submit', nth: 1, status: 503 }] });
    const before = submits(em);
    const first = await cli(['run', 'recipe.yml'], { cwd: root, env });
    expect(first.code, first.stdout + first.stderr).toBe(69);
    expect(submits(em) - before).toBe(1);
    expect(first.stdout + first.stderr).toMatch(/HTTP 503.*may have been accepted/);
    expect(first.stdout + first.stderr).toMatch(/maybe paid.*crop/);
    // Counted in what the run spent (probably paid), apart from the requests known to be accepted.
    expect(first.stderr).toContain('submitted 0 · spent $0.04 (1 request, 1 maybe paid) · ');

    em.setScenario({});
    const again = await cli(['run', 'recipe.yml'], { cwd: root, env });
    expect(again.code, again.stdout + again.stderr).toBe(75);
    expect(again.stdout + again.stderr).toMatch(/--resubmit-uncertain/);
    // No request id to re-attach to: the start line says what the run does instead.
    expect(again.stderr).toMatch(
      /^start +crop +an earlier run's submit of it may have been paid: stopped \(exit 75\)/m,
    );
    expect(again.stderr).not.toMatch(/re-attaching/);
    expect(again.stderr).toMatch(/submitted 0 · spent \$0\.00 · /); // an earlier run's money
    const json = await cli(['run', 'recipe.yml', '--json'], { cwd: root, env });
    expect(json.code, json.stderr).toBe(75);
    expect(json.stdout).toMatch(/"type":"node-start","node":"crop","reason":"reattach","claim":"uncertain"/);
    expect(submits(em) - before).toBe(1);

    const resubmitted = await cli(['run', 'recipe.yml', '--resubmit-uncertain'], { cwd: root, env });
    expect(resubmitted.code, resubmitted.stdout + resubmitted.stderr).toBe(0);
    expect(resubmitted.stderr).toMatch(
      /^start +crop +an earlier run's submit of it is unsettled; submitting it again$/m,
    );
    expect(submits(em) - before).toBe(2);
    expect(resubmitted.stderr).toContain('submitted 1 · spent $0.04 (1 request) · ');
  }, 60_000);
});
