/**
 * Watch mode and a lock git left conflicted (run/lock-resolve.ts): the next cycle merges it from
 * the output files, writes the merge with one notice, and pays only for what changed in the
 * recipe; the passes both sides of the conflict name are not paid again.
 */
import { writeFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../helpers/run-fixtures.js';
import { startWatchRig, watchRecipe, type WatchRig } from './harness.js';

const A = 'Keep the face unchanged. Replace the background with a beach.';
const B = 'Keep the face and the beach unchanged. Add a straw hat.';
const C = 'Keep everything else unchanged. Add round sunglasses.';
const D = 'Keep everything else unchanged. Add a red scarf.';
const E = 'Keep everything else unchanged. Add falling snow.';

let rig: WatchRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('watch: a conflicted lock', () => {
  it('the next cycle resolves it by the output files and pays only for the new pass', async () => {
    rig = await startWatchRig(
      watchRecipe([
        ['a', A],
        ['b', B],
      ]),
    );
    await rig.cycleDone(1);
    expect(rig.submits()).toEqual(
      new Map([
        [A, 1],
        [B, 1],
      ]),
    );
    const { lockPath } = rig.project;
    const ours = await readFile(lockPath, 'utf8');
    // Theirs: another b, whose output is neither the file on disk nor in the cache.
    const b = (JSON.parse(ours) as { nodes: { b: { output_sha256: string } } }).nodes.b.output_sha256;
    const theirs = ours.replace(b, 'e'.repeat(64));
    await writeFile(lockPath, `<<<<<<< HEAD\n${ours}=======\n${theirs}>>>>>>> other\n`);

    await writeFile(
      rig.project.recipe,
      watchRecipe([
        ['a', A],
        ['b', B],
        ['c', C],
      ]),
    );
    await rig.cycleDone(2);
    expect(rig.submits()).toEqual(
      new Map([
        [A, 1],
        [B, 1],
        [C, 1],
      ]),
    );
    const notices = rig.of('notice').filter((e) => e.message.includes('git conflict'));
    expect(notices.map((e) => e.message)).toEqual([
      'recipe.lock.json has 1 git conflict: resolved and written (2 entries: 1 the same on both sides, ' +
        '1 by the output file on disk); by the output file: b',
    ]);
    const lock = JSON.parse(await readFile(lockPath, 'utf8')) as { nodes: Record<string, { output_sha256: string }> };
    expect(Object.keys(lock.nodes).sort()).toEqual(['a', 'b', 'c']);
    expect(lock.nodes['b']?.output_sha256).toBe(b);
  }, 30_000);

  it('a cycle its preflight stops (over --max-cost) leaves the conflicted lock as it is, and says so', async () => {
    // $0.04 a request (the emulator's model info): the first cycle's two fit under $0.10, three more do not.
    rig = await startWatchRig(
      watchRecipe([
        ['a', A],
        ['b', B],
      ]),
      { options: { maxCostUsd: 0.1 } },
    );
    await rig.cycleDone(1);
    const { lockPath } = rig.project;
    const ours = await readFile(lockPath, 'utf8');
    const b = (JSON.parse(ours) as { nodes: { b: { output_sha256: string } } }).nodes.b.output_sha256;
    const conflicted = `<<<<<<< HEAD\n${ours}=======\n${ours.replace(b, 'e'.repeat(64))}>>>>>>> other\n`;
    await writeFile(lockPath, conflicted);

    await writeFile(
      rig.project.recipe,
      watchRecipe([
        ['a', A],
        ['b', B],
        ['c', C],
        ['d', D],
        ['e', E],
      ]),
    );
    const said = (): string[] =>
      rig?.of('notice').flatMap((e) => (e.message.includes('git conflict') ? [e.message] : [])) ?? [];
    await until(() => said().length > 0, 8_000, 'the notice about the conflicted lock');
    expect(said()).toEqual([
      'recipe.lock.json has 1 git conflict: left as it is, the run having stopped before writing the merge ' +
        '(2 entries: 1 the same on both sides, 1 by the output file on disk); by the output file: b',
    ]);
    await rig.session.idle();
    expect(await readFile(lockPath, 'utf8')).toBe(conflicted);
    expect([...rig.submits().keys()].sort()).toEqual([A, B].sort()); // nothing of c, d, e was paid
  }, 30_000);

  it('a cycle the merge stop halts comes again once out/ is checked out as it says, paying nothing', async () => {
    // Checked out the moment the stop is told, before the watcher of that file is live (CI saw
    // this race under load): the file's stamp at the stop tells the change all the same.
    let checkout: (() => void) | undefined;
    rig = await startWatchRig(
      watchRecipe([
        ['a', A],
        ['b', B],
      ]),
      {
        onEvent: (e) => {
          if (e.type === 'watch-error' && e.kind === 'stopped') checkout?.();
        },
      },
    );
    await rig.cycleDone(1);
    const { lockPath, cacheDir } = rig.project;
    const ours = await readFile(lockPath, 'utf8');
    const output = join(dirname(lockPath), (JSON.parse(ours) as { nodes: { b: { output: string } } }).nodes.b.output);
    const oursBytes = await readFile(output);
    // Theirs: b re-prompted and paid (here, then the cache lost it: it was paid on another machine).
    const B2 = `${B} Make it blue.`;
    await rig.project.writeRecipe(
      watchRecipe([
        ['a', A],
        ['b', B2],
      ]),
    );
    await rig.cycleDone(2);
    const theirs = await readFile(lockPath, 'utf8');
    const theirsBytes = await readFile(output);
    await writeFile(output, oursBytes); // git keeps ours in the work tree
    await writeFile(lockPath, `<<<<<<< HEAD\n${ours}=======\n${theirs}>>>>>>> other\n`);
    await rm(cacheDir, { recursive: true, force: true });
    checkout = () => writeFileSync(output, theirsBytes); // git checkout --theirs -- out/…
    await rig.project.writeRecipe(
      `${watchRecipe([
        ['a', A],
        ['b', B2],
      ])}# merged: theirs\n`,
    );
    const stops = (): string[] => rig?.of('watch-error').flatMap((e) => (e.kind === 'stopped' ? e.problems : [])) ?? [];
    await until(() => stops().some((p) => p.includes('the recipe asks what a branch paid for')), 8_000, 'the stop');
    expect(rig.of('watch-cycle')).toHaveLength(2);
    const paid = rig.submits();

    await rig.cycleDone(3);
    expect(rig.submits()).toEqual(paid);
    const lock = await rig.project.readLock();
    expect(lock.nodes['b']).toEqual((JSON.parse(theirs) as { nodes: Record<string, unknown> }).nodes['b']);
  }, 30_000);
});
