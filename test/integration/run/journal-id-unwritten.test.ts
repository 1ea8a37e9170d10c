/**
 * A paid request whose id cannot be written to the journal (its folder replaced by a file just
 * after the API accepted the submit: the write fails for good) is not given up: the id is in
 * memory, so the run waits for it and records it. Left unsettled (its download refused), the run
 * says its id is NOT in the journal and names it, rather than promising a free re-attach.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runRecipe, type RunEvent } from '../../../src/index.js';
import {
  createProject,
  eventsOf,
  recipeYaml,
  startRig,
  testRuntime,
  type Project,
  type Rig,
} from '../../helpers/run-fixtures.js';

let project: Project | undefined;
let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  await project?.cleanup();
  rig = undefined;
  project = undefined;
});

/** One node run in-process; once the submit's reply is in, the journal folder becomes a file. */
async function runLosingJournal(p: Project, r: Rig): Promise<{ exitCode: number; events: RunEvent[] }> {
  const journal = join(p.cacheDir, 'journal');
  const rt = {
    ...testRuntime(p.root),
    crashPoint: (point: string) => {
      if (point !== 'after-submit-response') return;
      rmSync(journal, { recursive: true, force: true });
      writeFileSync(journal, 'not a folder');
    },
  };
  const events: RunEvent[] = [];
  const result = await runRecipe(p.recipe, { jobs: 1 }, { rt, session: r.session, onEvent: (e) => events.push(e) });
  if (result.kind !== 'run') throw new Error('expected a real run');
  return { exitCode: result.summary.exitCode, events };
}

const warnings = (events: readonly RunEvent[]): string =>
  eventsOf(events, 'warning')
    .map((w) => w.message)
    .join('\n');

describe('a paid request whose id the journal cannot take', () => {
  it('is still waited for and recorded in this run (one submit, exit 0)', async () => {
    project = await createProject(recipeYaml([['p', 'Keep the face unchanged. Add a hat.']]));
    rig = await startRig();
    const { exitCode, events } = await runLosingJournal(project, rig);
    expect(exitCode, JSON.stringify(eventsOf(events, 'node-failed'))).toBe(0);
    expect(rig.submits()).toHaveLength(1);
    expect(Object.keys((await project.readLock()).nodes)).toEqual(['p']);
    expect(warnings(events)).not.toMatch(/outcome unknown/);
  });

  it('left unsettled, it is reported with its id as not journaled, never as "stays in the journal"', async () => {
    project = await createProject(recipeYaml([['p', 'Keep the face unchanged. Add a hat.']]));
    rig = await startRig({ scenario: { faults: [{ kind: 'html-download' }] } });
    const { exitCode, events } = await runLosingJournal(project, rig);
    expect(exitCode).not.toBe(0);
    expect(rig.submits()).toHaveLength(1);
    const requestId = eventsOf(events, 'node-state').find((e) => e.request_id !== undefined)?.request_id;
    expect(requestId).toBeTruthy();
    const said = warnings(events);
    expect(said).toContain(`request id NOT in the journal (it could not be written): p (request ${requestId})`);
    expect(said).not.toMatch(/stay in the journal/);
  });
});
