/**
 * `--dry-run` as a true preview: the same node states as the run, the seeds the run will use,
 * the price of the billable requests when the provider publishes one, and the same preflight
 * as a real run (hosting, trust, token, `--max-cost`), so a dry run that would fail says so
 * with the real error. Nothing is hosted, uploaded or submitted: only model info is read.
 */
import { isKontextError, type KontextError } from '../errors.js';
import { describeRun, type DescribeDeps, type DryRunReport } from './dry-run.js';
import type { Prepared } from './prepare.js';
import { priceRun, type PriceSources } from './prices.js';

export interface PreviewChecks extends PriceSources {
  /** The real run's preflight (throws what the run would throw). */
  readonly preflight: () => Promise<void>;
}

export interface Preview {
  readonly report: DryRunReport;
  /** What the real run would stop with before its first request, if anything. */
  readonly failure: KontextError | null;
}

export async function previewRun(prepared: Prepared, describe: DescribeDeps, checks: PreviewChecks): Promise<Preview> {
  const report = await describeRun(prepared, describe);
  try {
    await checks.preflight();
  } catch (e) {
    if (!isKontextError(e)) throw e;
    // `--max-cost`'s stop read the price: the dry run prints it (review-y 5), though the run would
    // pay nothing (its caller's --max-cost counts such a recipe as 0). Any other stop is not priced:
    // a stopped dry run asks the provider nothing, and a price read that failed is not waited for
    // again (review-z 5).
    if (e.code === 'E_MAX_COST')
      return { report: { ...report, ...(await estimateCost(prepared, checks)) }, failure: e };
    const priceUnknown = `not estimated: the run would stop before its first request (${e.code})`;
    return { report: { ...report, priceUnknown }, failure: e };
  }
  return { report: { ...report, ...(await estimateCost(prepared, checks)) }, failure: null };
}

/**
 * Price of the nodes that will run (model table, else provider model info, each read bounded in
 * time); `costUsd` `null` when a price is unknown, `priceUnknown` saying which and why.
 */
async function estimateCost(
  prepared: Prepared,
  checks: PreviewChecks,
): Promise<Pick<DryRunReport, 'costUsd' | 'priceUnknown'>> {
  try {
    const price = await priceRun(prepared, checks);
    if (price.known) return { costUsd: price.totalUsd, priceUnknown: null };
    return {
      costUsd: null,
      priceUnknown: `the price of ${price.model} on ${price.provider} is not known: ${price.why}`,
    };
  } catch (e) {
    if (!isKontextError(e)) throw e;
    return { costUsd: null, priceUnknown: `its model info could not be read: ${e.message}` };
  }
}
