/**
 * Watch mode, a node whose submit was refused with a long `Retry-After` and is waiting it out when
 * the recipe changes so that the node is no longer wanted: the wait ends there and nothing is sent
 * (nothing was accepted: its intent cleared). Before, only Ctrl-C ended such a wait, so the
 * superseded cycle sent the submit once the wait was over, paying for an edit nobody wanted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { journalEntries } from '../../helpers/journal-files.js';
import { isSubmit, until } from '../../helpers/run-fixtures.js';
import { startWatchRig, submitsOf, watchRecipe, type WatchRig } from './harness.js';

const OLD = 'Keep the face unchanged. Make the sky orange.';
const NEW = 'Keep the face unchanged. Make the sky purple.';

let rig: WatchRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('watch: an abandoned node waiting out a Retry-After', () => {
  it('stops waiting at once and sends nothing; the new cycle pays for the new prompt only', async () => {
    rig = await startWatchRig(watchRecipe([['a', OLD]]), {
      setup: async (_p, _env, em) =>
        em.setScenario({ faults: [{ kind: 'http', on: 'submit', nth: 1, status: 429, retry_after: 30 }] }),
    });
    const r = rig;
    await until(
      () => r.events.some((e) => e.type === 'node-retry' && e.node === 'a' && e.call === 'submit'),
      8_000,
      'the refused submit waiting',
    );
    await r.project.writeRecipe(watchRecipe([['a', NEW]]));
    await r.cycleDone(2, 15_000);
    const paid = (prompt: string) => submitsOf(r.calls(), prompt).filter((e) => e.accepted === true).length;
    expect(paid(NEW)).toBe(1);
    // The old wait ended when the node was abandoned (well before its 30 s), its intent cleared.
    await until(async () => (await journalEntries(r.project.cacheDir)).length === 0, 10_000, 'the old intent cleared');
    // Two submits in all: the refused one (OLD, never sent again) and NEW's.
    expect(r.calls().filter(isSubmit)).toHaveLength(2);
    expect(paid(OLD)).toBe(0);
  }, 40_000);
});
