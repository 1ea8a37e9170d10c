/**
 * fal's key is `key_id:key_secret` (FAL_KEY, or FAL_KEY_ID + FAL_KEY_SECRET). An API error that
 * echoes the key's id half must not print it either: the README says FAL_KEY is scrubbed from
 * every message (walk-c F4: `key falid-AAAA1111 is not valid` was printed as is).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProject, summaryOf, type Project } from './harness.js';

const ID = 'falid-AAAA1111';
const SECRET = 'falsec-BBBB2222';

const RECIPE = `version: 1
name: r
provider: fal
hosting: { mode: inline }
sources: { portrait: assets/portrait.jpg }
passes:
  - { id: p1, prompt: "Keep the person unchanged. Give her a red scarf.", seed: 11 }
`;

let project: Project;
beforeEach(async () => {
  project = await createProject();
});
afterEach(async () => {
  await project.close();
});

describe('a fal API error echoing the key id', () => {
  it.each([
    ['FAL_KEY', { FAL_KEY: `${ID}:${SECRET}` }],
    ['FAL_KEY_ID + FAL_KEY_SECRET', { FAL_KEY_ID: ID, FAL_KEY_SECRET: SECRET }],
  ])('with %s: neither half is in any event, output or error', async (_form, key) => {
    await project.writeRecipe(RECIPE);
    project.emulator.setScenario({
      faults: [{ kind: 'http', on: 'submit', status: 401, message: `key ${ID} is not valid` }],
    });
    const run = await project.run({ ownSession: true, env: { FAL_QUEUE_BASE: project.emulator.origin, ...key } }).then(
      (r) => ({ text: JSON.stringify(r.events) + r.stdout + r.stderr, code: summaryOf(r).exitCode }),
      (e: unknown) => ({ text: `${String(e)} ${JSON.stringify(e)}`, code: (e as { exitCode?: number }).exitCode }),
    );
    expect(run.code).toBe(77);
    // The echo did reach the error (scrubbed), so the test reads what the API said.
    expect(run.text).toMatch(/key \*\*\* is not valid/);
    expect(run.text).not.toContain(ID);
    expect(run.text).not.toContain(SECRET);
  });
});
