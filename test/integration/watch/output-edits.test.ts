/**
 * Watch mode's `onOutputEdited` (real chokidar, a real run on the emulator), served page and all
 * (review-i 2, 3):
 * - a hand edit undone (the lock's bytes back: git checkout, an editor's undo) is told again, and
 *   the page goes back to up to date; before, nothing was told and the tile stayed `modified`;
 * - a run's own write is not told: a re-run node whose output lands well before its run ends was
 *   hashed against the lock as planned (the old sha256) and told as edited by hand.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { startReportServer, type ReportData, type ReportServer } from '../../../src/index.js';
import { models } from '../../e2e/report-serve-kit.js';
import { testRuntime, until } from '../../helpers/run-fixtures.js';
import { startWatchRig, watchRecipe, type RigOptions, type WatchRig } from './harness.js';

const A = 'Keep the face unchanged. Make the sky orange.';
const B = 'Keep the face unchanged. Add a red scarf.';
const B2 = 'Keep the face unchanged. Add a blue scarf.';
const C = 'Keep the face unchanged. Add a hat.';

let rig: WatchRig | undefined;
let server: ReportServer | undefined;
afterEach(async () => {
  await server?.close();
  await rig?.close();
  rig = server = undefined;
});

/** A watch of passes a → b (→ c), its page served; `edited`: what onOutputEdited was told, in order. */
async function watch(o: RigOptions = {}): Promise<{ r: WatchRig; edited: string[][]; out: (id: string) => string }> {
  const edited: string[][] = [];
  const r = (rig = await startWatchRig(
    watchRecipe([
      ['a', A],
      ['b', B],
    ]),
    {
      ...o,
      onEvent: (e) => server?.onEvent(e),
      onOutputEdited: (paths) => {
        edited.push([...paths]);
        void server?.refresh();
      },
    },
  ));
  await r.cycleDone(1);
  const lock = JSON.parse(await readFile(r.project.lockPath, 'utf8')) as { nodes: Record<string, { output: string }> };
  const out = (id: string): string => join(r.project.root, lock.nodes[id]?.output ?? '');
  return { r, edited, out };
}

describe('watch: outputs changed by hand (onOutputEdited)', () => {
  it('an edit undone (the lock bytes back): told again, and the page is up to date again; no cycle', async () => {
    const { r, edited, out } = await watch();
    const s = (server = await startReportServer(r.project.recipe, { port: 0 }, { rt: testRuntime(r.project.root) }));
    await s.ready;
    const seen = models(s.url);
    try {
      const stateOf = (id: string): string | undefined =>
        seen.seen.at(-1)?.nodes.find((n: ReportData['nodes'][number]) => n.id === id)?.state;
      const file = out('b');
      const original = await readFile(file);
      await writeFile(file, await sharp(file).blur(4).png().toBuffer());
      await until(() => stateOf('b') === 'modified', 10_000, 'b modified on the page');
      expect(edited).toEqual([[file]]);
      // The page shows the retouched file: the run's figures of the output it replaced are not its own.
      const b = (): ReportData['nodes'][number] | undefined => seen.seen.at(-1)?.nodes.find((n) => n.id === 'b');
      expect(b()).toMatchObject({ review: null, drift: false });
      expect(b()?.noReview).toMatch(/^modified by hand/);

      await writeFile(file, original); // git checkout, an editor's undo
      await until(
        () => edited.length === 2,
        10_000,
        'the undo told',
        () => JSON.stringify(edited),
      );
      expect(edited).toEqual([[file], [file]]);
      await until(() => stateOf('b') === 'up-to-date', 10_000, 'b up to date on the page again');
      await until(() => b()?.review != null, 10_000, "b's figures back on the page");
      expect(b()?.noReview).toBeUndefined();
      expect(r.of('watch-cycle')).toHaveLength(1);
      expect(Object.fromEntries(r.submits())).toEqual({ [A]: 1, [B]: 1 });
    } finally {
      seen.close();
    }
  });

  it("a run's own writes are not told as edited; a hand edit after it is", async () => {
    // One request at a time, each 400 ms: b's new output lands, then c runs for longer than the
    // quiet period (100 ms) while the lock still says b's old sha256.
    const { r, edited, out } = await watch({ runMs: 400, options: { jobs: 1 } });
    await r.project.writeRecipe(
      watchRecipe([
        ['a', A],
        ['b', B2],
        ['c', C],
      ]),
    );
    await r.cycleDone(2, 20_000);
    expect(r.of('node-done').map((e) => e.node)).toEqual(['a', 'b', 'b', 'c']);
    // Something to wait for: a hand edit after the run, told; the run's writes would be told before it.
    const file = out('a');
    await writeFile(file, await sharp(file).blur(4).png().toBuffer());
    await until(() => edited.length > 0, 10_000, 'the hand edit told');
    expect(edited).toEqual([[file]]);
    expect(r.errors).toEqual([]);
  });
});
