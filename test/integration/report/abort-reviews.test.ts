/**
 * A report build abandoned (Ctrl-C, the served page's server closing) while results still need
 * their change reviews (records without one: a deleted cache rebuilt from the lock, a remote hit):
 * the reviews not begun are not made, and the build rejects with the signal's reason at once.
 * Before, collectReport reviewed every such result first (4.7 s for 150 nodes), and only then did
 * the build see the abort.
 */
import { writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadRecipe } from '../../../src/recipe/index.js';
import { writeReport, writeReportFor } from '../../../src/report/write.js';
import { openStore } from '../../../src/store/index.js';
import { type RecordFile, recordFiles } from '../../helpers/record-files.js';
import {
  createProject,
  recipeYaml,
  runIn,
  startRig,
  summaryOf,
  testRuntime,
  type Project,
  type Rig,
} from '../../helpers/run-fixtures.js';

const VARIANTS = 8;

let rig: Rig;
let project: Project;
beforeEach(async () => {
  rig = await startRig();
  project = await createProject(
    recipeYaml([['sky', 'Keep the face unchanged. Make the sky orange.', `variants: ${VARIANTS}`]]),
  );
});
afterEach(async () => {
  await rig.close();
  await project.cleanup();
});

const records = (): Promise<RecordFile[]> => recordFiles(project.cacheDir);

describe('a report build abandoned while results wait for their reviews', () => {
  it('makes none of the reviews not begun, and rejects with the abort', async () => {
    expect(summaryOf(await runIn(project, {}, { rig }))).toMatchObject({ done: VARIANTS, exitCode: 0 });
    // Every record without its review, as after a cache rebuilt from the lock.
    const before = await records();
    expect(before).toHaveLength(VARIANTS);
    for (const { file, record } of before) {
      const { review: _, ...rest } = record;
      await writeFile(file, `${JSON.stringify(rest, null, 2)}\n`);
    }

    const rt = testRuntime(project.root);
    const recipe = await loadRecipe(project.recipe, { rt, strict: false, allowOutsideRoot: false });
    const store = await openStore(project.cacheDir);
    const abort = new AbortController();
    let early = 0;
    const build = writeReportFor(recipe, {
      store,
      rt,
      allowOutsideRoot: false,
      signal: abort.signal,
      // The states are known, the reviews about to start: Ctrl-C now.
      onEarly: () => {
        early++;
        abort.abort(new Error('interrupted'));
      },
    });
    await expect(build).rejects.toThrow('interrupted');
    expect(early).toBe(1);
    // Before, every review was made (and stored) before the build looked at the signal.
    expect((await records()).filter((r) => r.record['review'] !== undefined)).toEqual([]);
  });

  it('writeReport aborted by an embedder: an InterruptedError (exit 130), the reason its cause', async () => {
    const rt = testRuntime(project.root);
    const abort = new AbortController();
    abort.abort(); // a DOMException AbortError, code 20: what writeReport rejected with (walk-am 3)
    const error = await writeReport(project.recipe, {}, { rt, signal: abort.signal }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_INTERRUPTED', exitCode: 130 });
    expect((error as Error).cause).toBe(abort.signal.reason);
  });
});
