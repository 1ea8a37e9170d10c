/**
 * Watch mode, a save while a cycle is being planned, before the watchers on the folders it
 * names are live (real chokidar on real files, the emulator's request log as truth): the first
 * cycle's recipe, or a source in a folder a recipe edit just added, saved after the load read
 * it and before its watcher was ready, is seen: a further cycle runs the saved state (before,
 * the output stayed stale until some later save).
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
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
    expect(
      r
        .of('watch-cycle')
        .at(-1)
        ?.to_run.map((t) => t.node),
    ).toEqual(['b']);
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
