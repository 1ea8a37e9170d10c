/**
 * Watch mode, a save while a cycle is being planned, before the watchers on the folders it
 * names are live (real chokidar on real files, the emulator's request log as truth): the first
 * cycle's recipe, or a source in a folder a recipe edit just added, saved after the load read
 * it and before its watcher was ready, is seen: a further cycle runs the saved state (before,
 * the output stayed stale until some later save). And a request of the first cycle that finishes
 * while the next one plans is that cycle's cache hit, not a node it runs (nor re-attaches to).
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../src/index.js';
import { ASSETS, until, type Project } from '../../helpers/run-fixtures.js';
import { HEAD, startWatchRig, watchRecipe, type WatchRig } from './harness.js';

/** No "keep … unchanged" in it: its lint warning comes while the cycle is planned. */
const LINTED = "Make the man's jacket red.";
const B = 'Keep the face unchanged. Add a red scarf.';
const B2 = 'Keep the face unchanged. Add a blue scarf.';
const chain = (b: string): string =>
  watchRecipe([
    ['a', LINTED],
    ['b', b],
  ]);

let rig: WatchRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** Calls `act` once, at the first lint warning (during planning: after the load, before the run). */
function atFirstWarning(act: () => void): (e: RunEvent) => void {
  let done = false;
  return (e) => {
    if (done || e.type !== 'warning') return;
    done = true;
    act();
  };
}

describe('watch: a save while a cycle is planned', () => {
  it('the recipe saved during the first cycle is run once its watcher is live', async () => {
    let project: Project | undefined;
    const r = (rig = await startWatchRig(chain(B), {
      setup: async (p) => {
        project = p;
      },
      onEvent: atFirstWarning(() => writeFileSync(project?.recipe ?? '', chain(B2))),
    }));
    await until(
      () => r.submits().get(B2) === 1,
      8_000,
      'the saved prompt submitted',
      () => JSON.stringify(r.events.filter((e) => e.type.startsWith('watch') || e.type === 'warning')),
    );
    await r.session.idle();
    // a runs once. The saved recipe's cycle (the last) runs b; it runs a too only when the first cycle
    // was superseded before it took a up at all (no node-start of a before the last cycle: a was never
    // submitted). A first cycle that took a up leaves it in flight, or done while the last one planned:
    // awaited or cached, never run again (before, one done while it planned was listed to run).
    const last = r.events.findLastIndex((e) => e.type === 'watch-cycle');
    const tookA = r.events.slice(0, last).some((e) => e.type === 'node-start' && e.node === 'a');
    const cycle = r.events[last];
    expect(cycle?.type === 'watch-cycle' && cycle.to_run.map((t) => t.node)).toEqual(tookA ? ['b'] : ['a', 'b']);
    expect(r.submits().get(LINTED)).toBe(1);
  });

  it("a request of the earlier cycle done while the next plans is the next cycle's cache hit", async () => {
    let release = (): void => undefined;
    const r = (rig = await startWatchRig(chain(B), {
      // a runs until the next cycle has planned (taken its snapshot of the requests in flight):
      // before, a ran 1.5 s, and a slow machine's plan could outlast it.
      setup: async (_p, _env, emulator) => {
        release = emulator.hold();
      },
    }));
    await until(() => r.of('node-state').some((e) => e.node === 'a' && e.phase === 'running'), 8_000, 'a running');
    const journal = join(r.project.cacheDir, 'journal');
    const records = join(r.project.cacheDir, 'records');
    const recorded = async (prompt: string): Promise<boolean> => {
      const files = (await readdir(records, { recursive: true }).catch(() => [])).filter((f) => f.endsWith('.json'));
      const texts = await Promise.all(files.map((f) => readFile(join(records, f), 'utf8')));
      return texts.some((t) => (JSON.parse(t) as { prompt?: string }).prompt === prompt);
    };
    // A cycle planned while a runs; before its run starts, a finishes into the cache and its first
    // cycle (stopped: no lock entry) drops its journal entry, which is after its in-flight entry went.
    const second = await r.session.cycle([r.project.recipe], {
      beforeStart: () => {
        release();
        return until(
          async () => (await recorded(LINTED)) && (await readdir(journal)).every((f) => !f.endsWith('.json')),
          8_000,
          'a recorded, its journal entry gone',
        );
      },
    });
    if (second.kind !== 'started') throw new Error(`cycle: ${second.kind}`);
    await second.done;
    const at = await r.cycleStarted(2);
    const cycle = r.of('watch-cycle')[1];
    expect([cycle?.in_flight, cycle?.to_run.map((t) => t.node)]).toEqual([1, ['b']]);
    const after = r.events.slice(at);
    expect(after.filter((e) => 'node' in e && e.node === 'a').map((e) => e.type)).toEqual(['node-cached']);
    expect(after.find((e) => e.type === 'run-summary')).toMatchObject({ exit_code: 0, cached: 1, done: 1 });
    expect(r.submits().get(LINTED)).toBe(1);
  });

  it('an image added to a glob folder the recipe just named, before that folder is watched', async () => {
    const glob = (spec: string): string =>
      [
        'version: 1',
        'name: test',
        'provider: runcomfy',
        ...HEAD,
        'sources:',
        `  shots: ${spec}`,
        'passes:',
        '  - id: a',
        `    prompt: ${JSON.stringify(LINTED)}`,
        '',
      ].join('\n');
    let project: Project | undefined;
    let armed = false;
    const r = (rig = await startWatchRig(glob('assets/pet-*.jpg'), {
      setup: async (p) => {
        project = p;
        await mkdir(join(p.root, 'shots'));
        copyFileSync(join(ASSETS, 'scene-rocket.jpg'), join(p.root, 'shots', 'rocket.jpg'));
      },
      onEvent: (e) => {
        // The edit's cycle has loaded shots/ (its warning comes before its watcher): a new file now.
        if (!armed || e.type !== 'warning') return;
        armed = false;
        copyFileSync(join(ASSETS, 'product-coffee.jpg'), join(project?.root ?? '', 'shots', 'coffee.jpg'));
      },
    }));
    await r.cycleDone(1);
    armed = true;
    await r.project.writeRecipe(glob('shots/*.jpg'));
    await until(
      () => r.of('node-done').some((e) => e.node === 'a@coffee'),
      8_000,
      'the added image run',
      () => JSON.stringify(r.events.filter((e) => e.type.startsWith('watch') || e.type === 'warning')),
    );
    expect(r.errors).toEqual([]);
  });
});
