/**
 * Watch mode, a cycle that stops before its run is not an invalid recipe (walk-g 1, 4):
 * - a valid edit over `--max-cost`: `watch-error` of kind `stopped` (the recipe is the session's
 *   now), nothing submitted; a typo is still `invalid`, and the fix runs;
 * - a source JPEG cut short, which hosting refuses once it has stayed so for the settle time: the
 *   stopped cycle's reason carries the recipe's `file:line:col`, as a plain run prints it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../helpers/run-fixtures.js';
import { startWatchRig, watchRecipe, type WatchRig } from './harness.js';

const A = 'Keep the face unchanged. Make the sky orange.';
const B = 'Keep the face unchanged. Add a red scarf.';
const B2 = 'Keep the face unchanged. Add a blue scarf.';

let rig: WatchRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const errorsOf = (r: WatchRig, n: number): Promise<void> =>
  until(
    () => r.of('watch-error').length >= n,
    10_000,
    `watch-error ${n}`,
    () => JSON.stringify(r.events.filter((e) => e.type.startsWith('watch'))),
  );

describe('watch: a cycle stopped before its run', () => {
  it('over --max-cost: kind stopped, the new recipe in force, nothing paid; a typo is invalid', async () => {
    // $0.04 a request (the emulator's model info): the first cycle's two fit under $0.10, three do not.
    const yaml = watchRecipe([
      ['a', A],
      ['b', B],
    ]);
    rig = await startWatchRig(yaml, { options: { maxCostUsd: 0.1 } });
    await rig.cycleDone(1);
    await rig.project.writeRecipe(
      watchRecipe([
        ['a', A, 'variants: 3'],
        ['b', B2],
      ]),
    );
    await errorsOf(rig, 1);
    const stopped = rig.of('watch-error')[0];
    expect(stopped).toMatchObject({ kind: 'stopped', recipe: rig.project.recipe });
    expect(stopped?.problems).toEqual([expect.stringMatching(/over --max-cost \$0\.10; nothing was submitted/)]);
    expect(rig.session.recipe?.passes.map((p) => p.prompt)).toEqual([A, B2]);
    expect(Object.fromEntries(rig.submits())).toEqual({ [A]: 1, [B]: 1 });

    await rig.project.writeRecipe(yaml.replace('    prompt:', '    promt:'));
    await errorsOf(rig, 2);
    expect(rig.of('watch-error')[1]).toMatchObject({ kind: 'invalid' });
    expect(rig.of('watch-error')[1]?.problems.join('\n')).toMatch(/recipe\.yml:\d+:\d+: .*promt/);
    expect(rig.errors).toEqual([]);
  });

  it('KONTEXT_MAX_COST in its runtime holds a WatchSession without maxCostUsd, as it holds run --watch', async () => {
    // A library session ran without any limit, where the CLI applies it (walk-am 1).
    rig = await startWatchRig(
      watchRecipe([
        ['a', A],
        ['b', B],
      ]),
      { env: { KONTEXT_MAX_COST: '0.05' } },
    );
    await errorsOf(rig, 1);
    expect(rig.of('watch-error')[0]?.problems).toEqual([
      expect.stringMatching(/over KONTEXT_MAX_COST \$0\.05; nothing was submitted/),
    ]);
    expect(rig.submits().size).toBe(0);
  });

  it('a source cut short, refused by hosting: the reason at the recipe line naming it', async () => {
    rig = await startWatchRig(watchRecipe([['a', A]]));
    await rig.cycleDone(1);
    const source = join(rig.project.root, 'assets', 'portrait-astronaut.jpg');
    await writeFile(source, (await readFile(source)).subarray(0, 8000));
    // Waited for as a copy still going; after the settle time taken as it is, and refused.
    await errorsOf(rig, 1);
    const error = rig.of('watch-error')[0];
    expect(error?.kind).toBe('stopped');
    expect(error?.problems).toEqual([
      expect.stringMatching(/recipe\.yml:6:10: sources\.photo: refusing to host .*portrait-astronaut\.jpg/),
    ]);
    expect(rig.errors).toEqual([]);
  });
});
