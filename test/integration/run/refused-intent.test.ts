/**
 * A submit the API refused (429 with a `Retry-After`) waits to be sent again with its intent marked
 * `refused_at` (nothing of it on the wire: a run killed meanwhile leaves nothing maybe paid, see
 * test/e2e/refused-submit-crash.test.ts), and the next attempt goes out only once the plain intent
 * is back on disk: the request the API accepts is journaled as any other, and the journal is
 * empty at the end. Ctrl-C during the wait sends nothing and leaves no entry behind.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { journalEntries } from '../../helpers/journal-files.js';
import {
  createProject,
  isSubmit,
  recipeYaml,
  runIn,
  startRig,
  summaryOf,
  until,
  type Project,
  type Rig,
} from '../../helpers/run-fixtures.js';

let rig: Rig | undefined;
let project: Project | undefined;
afterEach(async () => {
  await rig?.close();
  await project?.cleanup();
  rig = undefined;
  project = undefined;
});

const REFUSED_ONCE = (retryAfterS: number) => ({
  faults: [{ kind: 'http' as const, on: 'submit' as const, nth: 1, status: 429, retry_after: retryAfterS }],
});

/** The journal's entries of node `hat`, as seen while a run goes, every few ms until `stop`. */
async function watchJournal(p: Project, stop: () => boolean): Promise<{ refused: boolean; plainAfter: boolean }> {
  let refused = false;
  let plainAfter = false;
  while (!stop()) {
    for (const e of (await journalEntries(p.cacheDir)) as { node: string; refused_at?: string }[]) {
      if (e.node !== 'hat') continue;
      if (e.refused_at !== undefined) refused = true;
      else if (refused) plainAfter = true;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return { refused, plainAfter };
}

describe('a refused submit waiting to be sent again', () => {
  it('is journaled as refused while it waits, as a plain intent again before it is sent; paid once', async () => {
    rig = await startRig({ scenario: REFUSED_ONCE(0.6) });
    project = await createProject(recipeYaml([['hat', 'Keep the face unchanged. Add a red hat.']]));
    let over = false;
    const seen = watchJournal(project, () => over);
    const run = await runIn(project, {}, { rig }).finally(() => {
      over = true;
    });
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 1, submitted: 1 });
    expect(await seen).toEqual({ refused: true, plainAfter: true });
    const submits = rig.calls().filter(isSubmit);
    expect(submits.map((e) => e.status)).toEqual([429, 200]);
    expect(await journalEntries(project.cacheDir)).toEqual([]);
  });

  it('Ctrl-C during the wait: nothing sent again, no entry left', async () => {
    rig = await startRig({ scenario: REFUSED_ONCE(30) });
    project = await createProject(recipeYaml([['hat', 'Keep the face unchanged. Add a red hat.']]));
    const stop = new AbortController();
    const p = project;
    const running = runIn(p, { signal: stop.signal }, { rig });
    await until(
      async () => (await journalEntries(p.cacheDir)).some((e) => 'refused_at' in e),
      10_000,
      'the intent marked refused',
    );
    stop.abort();
    const run = await running;
    expect(summaryOf(run).exitCode).toBe(130);
    expect(rig.calls().filter(isSubmit)).toHaveLength(1);
    expect(await journalEntries(p.cacheDir)).toEqual([]);
  });
});
