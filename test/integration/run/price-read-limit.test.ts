/**
 * A provider whose model-info endpoint takes the call and never answers: a real run's price read
 * is capped (10 s), but `--dry-run` and `--max-cost` waited on it for the client's whole deadline
 * (about 6.5 min of silence against a real proxy), then printed no price and no word why. Now both
 * read the price within the same limit (shortened here): the dry run says the price is unknown and
 * why, and `--max-cost` refuses the run (exit 75: a passing failure, run again; nothing submitted).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { printDryRun } from '../../../src/cli/dry-run-view.js';
import { isKontextError } from '../../../src/index.js';
import { createProject, recipeYaml, runIn, startRig, type Project, type Rig } from '../../helpers/run-fixtures.js';

let rig: Rig;
let project: Project;
beforeEach(async () => {
  // Model info answers after ten minutes: for these tests, never.
  rig = await startRig({ scenario: { faults: [{ kind: 'slow', on: 'model', delay_ms: 600_000 }] } });
  project = await createProject(recipeYaml([['hat', 'Keep the face unchanged. Add a red hat.']]));
});
afterEach(async () => {
  await rig.close();
  await project.cleanup();
});

describe('a price read the provider never answers', () => {
  it('--dry-run: says the price is unknown because model info did not answer, within the limit', async () => {
    const { result } = await runIn(project, { dryRun: true, priceReadMs: 300 }, { rig });
    if (result.kind !== 'dry-run') throw new Error(`expected a dry run, got ${result.kind}`);
    expect(result.failure).toBeNull();
    expect(result.report).toMatchObject({ billable: 1, costUsd: null });
    expect(result.report.priceUnknown).toMatch(/is not known: its model info did not answer in 300 ms/);
    let text = '';
    printDryRun(result.report, { out: { write: (s: string) => void (text += s) }, json: false, explain: false });
    expect(text).toMatch(
      /1 billable request \(price unknown: the price of .+ is not known: its model info did not answer/,
    );
    expect(rig.submits()).toHaveLength(0);
  });

  it('--max-cost: refuses the run, exit 75 (model info not answering is passing), nothing submitted', async () => {
    const error = await runIn(project, { maxCostUsd: 5, priceReadMs: 300 }, { rig }).then(
      () => null,
      (e: unknown) => e,
    );
    if (!isKontextError(error)) throw new Error(`expected a KontextError, got ${String(error)}`);
    expect(error.code).toBe('E_MAX_COST_UNKNOWN_PRICE');
    expect(error.exitCode).toBe(75);
    expect(error.hint).toBe('run again later, or drop --max-cost');
    expect(error.message).toMatch(/its model info did not answer in 300 ms/);
    expect(rig.submits()).toHaveLength(0);
  });
});
