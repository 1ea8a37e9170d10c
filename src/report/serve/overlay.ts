/**
 * The served page's model between full rebuilds: the live run's node states (`live.ts`) laid
 * over the data last read from disk, so a node shows running as it starts, failed as it fails,
 * and done (its new image still to make) as it finishes, without waiting for the next rebuild
 * (which can take seconds while the run keeps this process busy). The rebuild brings the rest:
 * images, reviews, costs, whatever else changed on disk.
 */
import { resolve } from 'node:path';
import { urlUnder } from '../collect.js';
import { countsOf, totalCost } from '../totals.js';
import type { ReportData, ReportNode } from '../types.js';
import type { LiveState } from './live.js';

/** Data read from disk, and the live state's `seq` when that read began (what it already shows). */
export interface Base {
  readonly data: ReportData;
  readonly seq: number;
}

/** `base.data` as the live run has it now: its nodes' states, request times, and the counts. */
export function overlay(
  base: Base,
  live: LiveState,
  at: { readonly cwd: string; readonly outDir: string },
): ReportData {
  const { data } = base;
  const byId = new Map(data.nodes.map((n) => [n.id, n]));
  const nodes = data.nodes.map((n): ReportNode => {
    const ms = live.ms.get(n.id) ?? n.ms;
    const over = live.states.get(n.id);
    if (over !== undefined) {
      const { code, hint } = over;
      const said = { ...(code === undefined ? {} : { code }), ...(hint === undefined ? {} : { hint }) };
      const why = over.state === 'skipped' ? skippedWhy(n, over.why, byId, live) : over.why;
      // Whatever image it shows is an earlier result (its viewer says so, and why it had to run again).
      const was = n.state === 'not-run' && n.why !== null ? { staleWhy: n.why } : {};
      return { ...n, state: over.state, why, ...said, ...was, stale: true, ms };
    }
    const done = live.done.get(n.id);
    // Finished after the data was read: its new output is on disk, its thumbnail and review not made yet.
    if (done !== undefined && done.seq > base.seq) {
      // A new result: not known to be an earlier cell's any more.
      const { noReview: _, sameResultAs: __, noThumb: ___, ...rest } = n;
      const img = urlUnder(at.outDir, resolve(at.cwd, done.output));
      return {
        ...rest,
        state: 'up-to-date',
        why: null,
        stale: false,
        img,
        thumb: null,
        review: null,
        drift: false,
        seed: done.seed,
        finishedAt: null,
        costUsd: null,
        ms,
      };
    }
    return ms === n.ms ? n : { ...n, ms };
  });
  return { ...data, nodes, counts: countsOf(nodes), ...totalCost(nodes) };
}

/** Why a skipped node did not run, as the terminal says it: the failed node above it, by its id. */
function skippedWhy(
  n: ReportNode,
  reason: string | null,
  byId: ReadonlyMap<string, ReportNode>,
  live: LiveState,
): string {
  if (reason === 'stopped') return 'the run stopped before it';
  if (reason === 'interrupted') return 'the run was interrupted';
  if (reason === 'remote-unusable') return "not submitted: the shard's remote cache cannot take its results";
  const seen = new Set<string>();
  for (let up = n.from; up !== null && !seen.has(up); up = byId.get(up)?.from ?? null) {
    seen.add(up);
    if (live.states.get(up)?.state === 'failed') return `upstream ${up} failed`;
  }
  return 'an upstream node failed';
}
