/** The change map's palette indices: rounded the fast way, the same as Math.round gives. */
import { describe, expect, it } from 'vitest';
import { heatIndices } from '../../../src/review/change-map.js';

/** The index as its formula says (the palette's steps: 48 under the threshold, 206 over it up to ΔE 50). */
const byFormula = (d: number): number =>
  d <= 10 ? Math.round(d * (48 / 10)) : 49 + Math.round(Math.min(206, (d - 10) * (206 / 40)));

/** The 32-bit floats from `n` steps below `v` to `n` above it. */
function around(v: number, n: number): number[] {
  const f = Float32Array.of(v);
  const bits = new Int32Array(f.buffer);
  const base = bits[0] as number;
  const out: number[] = [];
  for (let k = -n; k <= n; k++) {
    bits[0] = base + k;
    if ((f[0] as number) >= 0) out.push(f[0] as number);
  }
  return out;
}

describe('heatIndices', () => {
  it('rounds every 32-bit ΔE near each step of the palette as Math.round does', () => {
    const steps = [
      ...Array.from({ length: 48 }, (_, k) => (k + 0.5) / (48 / 10)),
      ...Array.from({ length: 207 }, (_, j) => 10 + (j + 0.5) / (206 / 40)),
      0,
      10,
      50,
    ];
    const values = Float32Array.from([...steps.flatMap((s) => around(s, 64)), 1e-30, 1e6, 3e38, Infinity]);
    const got = heatIndices(values, 10);
    const want = [...values].map(byFormula);
    expect([...got]).toEqual(want);
    expect(new Set(got).size).toBe(256);
  });
});
