/**
 * Aspect-ratio lists and the "did you mean" for a ratio: the nearest allowed ratio by value,
 * keeping the orientation (4:5 suggests 3:4, never the landscape 4:3).
 */

/** The common Kontext list (fal's documented enum; RunComfy's guess). */
export const KONTEXT_RATIOS: readonly string[] = ['21:9', '16:9', '4:3', '3:2', '1:1', '2:3', '3:4', '9:16', '9:21'];

/** Replicate's enum (and what BFL's "between 21:9 and 9:21" allows of the usual ratios). */
export const WIDE_RATIOS: readonly string[] = [
  '21:9',
  '2:1',
  '16:9',
  '3:2',
  '4:3',
  '5:4',
  '1:1',
  '4:5',
  '3:4',
  '2:3',
  '1:2',
  '9:16',
  '9:21',
];

/** `16:9` → 16/9; `undefined` for anything that is not two positive numbers around a colon. */
export function ratioValue(ratio: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*[:x×/]\s*(\d+(?:\.\d+)?)\s*$/i.exec(ratio);
  if (!m) return undefined;
  const w = Number(m[1]);
  const h = Number(m[2]);
  return w > 0 && h > 0 && Number.isFinite(w / h) ? w / h : undefined;
}

const orientation = (v: number): number => (Math.abs(Math.log(v)) < 1e-9 ? 0 : Math.sign(Math.log(v)));

/**
 * The allowed ratio nearest to `ratio` (distance in log space, so 2:1 vs 1:2 are symmetric),
 * among those of the same orientation or square. `undefined` when `ratio` is not a ratio.
 */
export function nearestRatio(ratio: string, allowed: readonly string[]): string | undefined {
  const v = ratioValue(ratio);
  if (v === undefined) return undefined;
  const o = orientation(v);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const c = ratioValue(candidate);
    if (c === undefined) continue;
    const co = orientation(c);
    if (co !== o && co !== 0) continue;
    const d = Math.abs(Math.log(v) - Math.log(c));
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}
