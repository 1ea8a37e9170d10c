/**
 * A request the service says it does not know (its own 404, not a proxy's) right after it was
 * accepted: the node fails with E_REQUEST_GONE (exit 75) and its hint says what the next run does,
 * which is what it does: it asks once more (the id stays journaled), and only if the service still
 * does not know the request submits it anew; if the service knows it again, nothing is paid twice;
 * under --max-cost, a submit anew the plan did not count is not sent past the limit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/index.js';
import {
  createProject,
  eventsOf,
  recipeYaml,
  runIn,
  startRig,
  summaryOf,
  type Project,
  type Rig,
} from '../../helpers/run-fixtures.js';

const SKY = 'Keep the face unchanged. Make the sky orange.';
/** The service's own "unknown request" on the first status read (RunComfy's error_code 404001). */
const GONE_ONCE = { faults: [{ kind: 'http' as const, on: 'status' as const, nth: 1, times: 1, status: 404 }] };

let project: Project | undefined;
let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  await project?.cleanup();
  rig = undefined;
  project = undefined;
});

async function goneOnce(): Promise<{ project: Project; rig: Rig }> {
  project = await createProject(recipeYaml([['a', SKY]]));
  rig = await startRig({ scenario: GONE_ONCE });
  const run = await runIn(project, {}, { rig });
  expect(summaryOf(run)).toMatchObject({ exitCode: 75, failed: 1 });
  const [failed] = eventsOf(run.events, 'node-failed');
  expect(failed).toMatchObject({ code: 'E_REQUEST_GONE' });
  expect(failed?.hint).toMatch(/the next run asks once more and, if it is still unknown, submits it anew \(/);
  expect((await (await openStore(project.cacheDir)).journal.list()).map((e) => e.request_id)).toHaveLength(1);
  return { project, rig };
}

describe('a request the service says it does not know, just after accepting it', () => {
  it('known again on the next run: re-attached, nothing paid twice', async () => {
    const { project: p, rig: r } = await goneOnce();
    r.emulator.setScenario({});
    const again = await runIn(p, {}, { rig: r });
    expect(summaryOf(again)).toMatchObject({ exitCode: 0, done: 1, submitted: 0 });
    expect(r.submits()).toHaveLength(1);
  });

  it('still unknown on the next run: submitted anew, once', async () => {
    const { project: p, rig: r } = await goneOnce();
    r.emulator.setScenario(GONE_ONCE);
    const again = await runIn(p, {}, { rig: r });
    expect(summaryOf(again)).toMatchObject({ exitCode: 0, done: 1, submitted: 1 });
    expect(r.submits()).toHaveLength(2);
    expect(await (await openStore(p.cacheDir)).journal.list()).toEqual([]);
    // The new payment is said, not silent (walk-r).
    expect(eventsOf(again.events, 'warning').map((w) => w.message)).toContainEqual(
      expect.stringContaining('which an earlier run paid for: submitting it anew (paid)'),
    );
  });

  it('still unknown, under --max-cost 0 (the plan priced a re-attach, free): not submitted anew', async () => {
    // walk-q: the re-attach given up submitted anew, paid past the limit the preflight had passed.
    const { project: p, rig: r } = await goneOnce();
    const [gone] = await (await openStore(p.cacheDir)).journal.list();
    if (!gone) throw new Error('no journal entry');
    r.emulator.setScenario(GONE_ONCE);
    const again = await runIn(p, { maxCostUsd: 0 }, { rig: r });
    expect(summaryOf(again)).toMatchObject({ exitCode: 65, failed: 1, submitted: 0 });
    const [failed] = eventsOf(again.events, 'node-failed');
    expect(failed).toMatchObject({ code: 'E_MAX_COST' });
    expect(failed?.message).toMatch(/^submitting a \(\$\d+\.\d\d\) would take this run past --max-cost \$0\.00/);
    expect(r.submits()).toHaveLength(1);
    // Nothing was sent: no intent is left to stop the next run as maybe paid.
    expect(await (await openStore(p.cacheDir)).journal.list()).toEqual([]);
    // What the recipes before it spent not known (a command of several recipes): none is sent either.
    r.emulator.setScenario(GONE_ONCE);
    await (await openStore(p.cacheDir)).journal.add(gone);
    const unknown = await runIn(p, { maxCostUsd: 1, maxCostSpentUsd: null }, { rig: r });
    expect(eventsOf(unknown.events, 'node-failed')[0]).toMatchObject({ code: 'E_MAX_COST_UNKNOWN_PRICE' });
    expect(r.submits()).toHaveLength(1);
    // And again: no intent left.
    expect((await (await openStore(p.cacheDir)).journal.list()).filter((e) => e.request_id === undefined)).toEqual([]);
  });
});

// --max-cost while the run goes (src/run/cost-budget.ts), where the preflight cannot see: a price
// the preflight read that cannot be read again when a node submits is exit 75 (run again), not the
// "no published price" refusal, and no intent is left (the price is read before the intent).
describe('--max-cost while the run goes', () => {
  it('a price the preflight read, not read again at the submit: exit 75, nothing sent, no intent left', async () => {
    project = await createProject(recipeYaml([['a', SKY]]));
    // The preflight's model-info read answers; every later one is a 503.
    rig = await startRig({
      scenario: { faults: [{ kind: 'http', on: 'model', nth: 2, times: 50, status: 503 }] },
      sleep: async () => undefined,
    });
    const run = await runIn(project, { maxCostUsd: 5 }, { rig });
    expect(summaryOf(run)).toMatchObject({ exitCode: 75, failed: 1, submitted: 0 });
    const [failed] = eventsOf(run.events, 'node-failed');
    expect(failed).toMatchObject({ code: 'E_MAX_COST_UNKNOWN_PRICE' });
    expect(failed?.message).toMatch(/could not be read again, so a is not submitted$/);
    expect(rig.submits()).toHaveLength(0);
    expect(await (await openStore(project.cacheDir)).journal.list()).toEqual([]);
  });
});
