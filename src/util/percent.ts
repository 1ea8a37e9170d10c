/**
 * A changed-area percentage as every place shows it: a run's drift warning, `kontext status` and
 * the review sheet (whose inline script embeds these very functions, `toString()`'d: each is
 * self-contained for that, naming nothing outside itself). One rounding: `toFixed(1)`, so 98.55,
 * stored as 98.5499…, reads 98.5 % everywhere (the page's `Math.round(x * 10) / 10` said 98.6 %).
 */

/** `n` % with one decimal, none for a whole number: `30%`, `98.5%`. */
export function percentText(n: number): string {
  return `${Number.isInteger(n) ? n : n.toFixed(1)}%`;
}

/**
 * `value` % when it is over `max` (a pass's `max_change`), with as many decimals as it takes (up
 * to 3, else as stored) to read over it: 98.55 against a `max_change` of 98.5 is `98.55%`, never
 * "changed 98.5%, over max_change 98.5%". Not over: as {@link percentText} says it.
 */
export function percentOver(value: number, max: number): string {
  if (Number.isInteger(value) || !(value > max)) return `${Number.isInteger(value) ? value : value.toFixed(1)}%`;
  for (let d = 1; d <= 3; d++) {
    const text = value.toFixed(d);
    if (Number(text) > max) return `${text}%`;
  }
  return `${value}%`;
}
