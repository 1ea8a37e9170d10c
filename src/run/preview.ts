/**
 * `--dry-run` as a true preview: the same node states as the run, the seeds the run will use,
 * the price of the billable requests when the provider publishes one, and the same preflight
 * as a real run (hosting, trust, token, `--max-cost`), so a dry run that would fail says so
 * with the real error. Nothing is hosted, uploaded or submitted: only model info is read.
 */
import { isKontextError, type KontextError } from '../errors.js';
import type { Provider } from '../providers/types.js';
import { describeRun, type DescribeDeps, type DryRunReport } from './dry-run.js';
import type { Prepared } from './prepare.js';

export interface PreviewChecks {
  /** The real run's preflight (throws what the run would throw). */
  readonly preflight: () => Promise<void>;
  /** Asked for model prices once the preflight has passed (its session is open by then). */
  readonly provider: Provider;
  readonly signal?: AbortSignal | undefined;
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
    return { report, failure: e };
  }
  return {
    report: { ...report, costUsd: await estimateCost(prepared, checks.provider, checks.signal) },
    failure: null,
  };
}

/** Price of the nodes that will run, from the provider's model info; `null` when a price is unknown. */
async function estimateCost(prepared: Prepared, provider: Provider, signal?: AbortSignal): Promise<number | null> {
  const byModel = new Map<string, number>();
  for (const s of prepared.states.values())
    if (s.status === 'run') byModel.set(s.node.model, (byModel.get(s.node.model) ?? 0) + 1);
  let total = 0;
  for (const [model, count] of byModel) {
    const info = await provider.modelInfo(model, signal).catch((e: unknown) => {
      if (isKontextError(e)) return null;
      throw e;
    });
    if (info === null || info.priceUsd === null) return null;
    total += info.priceUsd * count;
  }
  return total;
}
