/**
 * The report's figures: what a cell's result cost, and over the cells shown, how many in each
 * state (and with drift) and what they cost in all. Shared by the report's data (collect.ts) and
 * the served page's overlay of the live states (serve/overlay.ts).
 */
import { listedPrice } from '../run/prices.js';
import type { RunRecord } from '../store/types.js';
import type { ReportData, ReportNode } from './types.js';

/**
 * What the result a cell shows cost: the price its run recorded (`cost_usd`, written with the
 * record since the run knows it), else the model table's price for its provider and model (a
 * record rebuilt from the lock, or written before prices were kept; RunComfy lists none there,
 * its price is read from its catalog by a run); null when neither is known.
 */
export function costOf(record: RunRecord | null): number | null {
  if (record === null) return null;
  return record.cost_usd ?? listedPrice(record.provider, record.model);
}

export function countsOf(nodes: readonly ReportNode[]): ReportData['counts'] {
  const counts = {
    'up-to-date': 0,
    cached: 0,
    remote: 0,
    'not-run': 0,
    modified: 0,
    running: 0,
    failed: 0,
    skipped: 0,
  };
  for (const n of nodes) counts[n.state]++;
  return { nodes: nodes.length, ...counts, drift: nodes.filter((n) => n.drift).length };
}

/**
 * Whether a cell shows a result: its image (the file in out/, or its thumbnail from the cache; one
 * the report could not make a thumbnail of says so on the tile). A node only in the lock (no image
 * in out/ or the cache: "no image yet"), or only in the remote cache ("not downloaded"), shows none.
 */
function showsResult(n: ReportNode): boolean {
  return n.img !== null || n.thumb !== null || n.noThumb !== undefined;
}

/**
 * What the shown results cost: the sum of the known prices (null: none known), and how many have
 * no price. Only results the sheet shows: a node only in the lock counted as "+ 80 unpriced" beside
 * 80 tiles saying "no image yet" (walk-al 2). Each result once: a cell showing the same record as an
 * earlier one (`sameResultAs`) shows the same paid request.
 */
export function totalCost(nodes: readonly ReportNode[]): Pick<ReportData, 'costUsd' | 'costUnpriced'> {
  let sum = 0;
  let priced = 0;
  let unpriced = 0;
  for (const n of nodes) {
    if (n.sameResultAs !== undefined || !showsResult(n)) continue;
    if (n.costUsd !== null) {
      sum += n.costUsd;
      priced++;
    } else if (n.finishedAt !== null) unpriced++;
  }
  // Float noise out (0.04 × 3 is 0.12, not 0.12000000000000001).
  return { costUsd: priced === 0 ? null : Math.round(sum * 1e6) / 1e6, costUnpriced: unpriced };
}
