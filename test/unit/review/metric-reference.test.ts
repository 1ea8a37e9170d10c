/**
 * The change metric against a plain transcription of its rule (docs/architecture.md#change-maps-and-drift):
 * every pixel's box made from its own 3 × 3, every segment tried as the rule says. The metric's
 * shortcuts (boxes made a span of a row at a time or kept whole, segments skipped that leave the
 * pixel away from the colour) must give the same figures and the same 32-bit ΔE, bit for bit.
 */
import { describe, expect, it } from 'vitest';
import { CHUNK } from '../../../src/review/boxes.js';
import { changedPercentBetween, changeMap, type LabImage } from '../../../src/review/metric.js';
import { changedPercent } from './plain-metric.js';

/** Squared ΔE to the first blend of `before`'s pixel `i` and a neighbour it shows within `limit`, else the least. */
function firstBlend(before: LabImage, after: Float32Array, i: number, limit: number): number {
  const { width: w, height: h, lab: x } = before;
  const px = i % w;
  const py = (i - px) / w;
  const p = [x[3 * i], x[3 * i + 1], x[3 * i + 2]] as number[];
  const o = [0, 1, 2].map((c) => (after[3 * i + c] as number) - (p[c] as number));
  let best = Number.POSITIVE_INFINITY;
  for (let yy = Math.max(0, py - 1); yy <= Math.min(h - 1, py + 1); yy++)
    for (let xx = Math.max(0, px - 1); xx <= Math.min(w - 1, px + 1); xx++) {
      const j = yy * w + xx;
      if (j === i || before.seen?.[j] === 0) continue;
      const q = [0, 1, 2].map((c) => (x[3 * j + c] as number) - (p[c] as number));
      const [ol, oa, ob] = o as [number, number, number];
      const [ql, qa, qb] = q as [number, number, number];
      const qq = ql * ql + qa * qa + qb * qb;
      const dot = ol * ql + oa * qa + ob * qb;
      const t = qq === 0 ? 0 : Math.min(1, Math.max(0, dot / qq));
      const dl = ol - t * ql;
      const da = oa - t * qa;
      const db = ob - t * qb;
      const d = dl * dl + da * da + db * db;
      if (d <= limit) return d;
      best = Math.min(best, d);
    }
  return best;
}

/** The rule, pixel by pixel: the map's ΔE, the pixels counted, and those changed (as squared ΔE and as stored). */
function reference(a: LabImage, b: LabImage, threshold: number) {
  const { width: w, height: h } = a;
  const limit = threshold * threshold;
  const x = a.lab;
  const y = b.lab;
  const delta = new Float32Array(w * h);
  let counted = 0;
  let changed = 0;
  /** How each pixel over the threshold at its place went: outside its box, forgiven as a blend, or neither. */
  const ways = { boxedOut: 0, forgiven: 0, noBlend: 0 };
  for (let i = 0; i < w * h; i++) {
    if (a.seen?.[i] === 0) continue;
    counted++;
    const dl = (x[3 * i] as number) - (y[3 * i] as number);
    const dm = (x[3 * i + 1] as number) - (y[3 * i + 1] as number);
    const dn = (x[3 * i + 2] as number) - (y[3 * i + 2] as number);
    const d2 = dl * dl + dm * dm + dn * dn;
    delta[i] = Math.sqrt(d2);
    if (d2 <= limit) continue;
    const px = i % w;
    const py = (i - px) / w;
    let outside = 0;
    for (let c = 0; c < 3; c++) {
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (let yy = Math.max(0, py - 1); yy <= Math.min(h - 1, py + 1); yy++)
        for (let xx = Math.max(0, px - 1); xx <= Math.min(w - 1, px + 1); xx++) {
          if (a.seen?.[yy * w + xx] === 0) continue;
          lo = Math.min(lo, x[3 * (yy * w + xx) + c] as number);
          hi = Math.max(hi, x[3 * (yy * w + xx) + c] as number);
        }
      const v = y[3 * i + c] as number;
      if (v < lo) outside += (lo - v) * (lo - v);
      else if (v > hi) outside += (v - hi) * (v - hi);
    }
    if (outside <= limit) {
      const near = firstBlend(a, y, i, limit);
      const back = firstBlend({ width: w, height: h, lab: y }, x, i, limit);
      if (near <= limit && back <= limit) {
        delta[i] = Math.sqrt(Math.max(near, back));
        ways.forgiven++;
        continue;
      }
      ways.noBlend++;
    } else ways.boxedOut++;
    changed++;
  }
  return { delta, counted, changed, ways };
}

let seed = 7;
const rand = (): number => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};

/**
 * A picture in Lab, with hard edges (stripes a few pixels wide), and the same changed three ways:
 * its left part moved by a fraction of a pixel (blends of neighbours), a box recoloured, and its
 * right part nudged by up to ±20 per channel (inside the neighbourhood's box, a blend or not).
 */
function pair(w: number, h: number, clear: boolean): [LabImage, LabImage] {
  const stripes = Array.from({ length: w + 1 }, () => [100 * rand(), 120 * rand() - 60, 120 * rand() - 60]);
  const at = (px: number, py: number): number[] =>
    (stripes[Math.floor((px + (py >> 2)) / 3) % stripes.length] as number[]).map((v) => v + 5 * Math.sin(py / 4));
  const before = new Float32Array(3 * w * h);
  const after = new Float32Array(3 * w * h);
  const [bx, by] = [Math.floor(rand() * w), Math.floor(rand() * h)];
  const t = rand();
  for (let py = 0; py < h; py++)
    for (let px = 0; px < w; px++) {
      const i = py * w + px;
      const here = at(px, py);
      before.set(here, 3 * i);
      let now = here;
      if (Math.abs(px - bx) < w / 6 && Math.abs(py - by) < h / 4) now = [80 * rand(), 60, -40];
      else if (px < w / 3) now = here.map((v, c) => (1 - t) * v + t * (at(px + 1, py)[c] as number));
      else if (px > (2 * w) / 3) now = here.map((v) => v + (rand() - 0.5) * 40);
      after.set(now, 3 * i);
    }
  const seen = (share: number): Uint8Array | null =>
    clear ? Uint8Array.from({ length: w * h }, () => (rand() < share ? 0 : 1)) : null;
  return [
    { width: w, height: h, lab: before, seen: seen(0.15) },
    { width: w, height: h, lab: after, seen: seen(0.2) },
  ];
}

/** The index of the first 32-bit ΔE that differs, -1 when none. */
const firstDifference = (p: Float32Array, q: Float32Array): number => {
  const [u, v] = [new Uint32Array(p.buffer), new Uint32Array(q.buffer)];
  return u.length !== v.length ? 0 : u.findIndex((bits, i) => bits !== v[i]);
};

describe('the change metric against its rule, pixel by pixel', () => {
  // Widths across the boxes' spans (one, a pixel short or over, several), a line, a column; with and
  // without transparency.
  const sizes: [number, number][] = [
    [1, 1],
    [1, 9],
    [9, 1],
    [CHUNK - 1, 5],
    [CHUNK, 6],
    [CHUNK + 1, 7],
    [3 * CHUNK + 5, 19],
    [100, 40],
  ];
  it.each(sizes.flatMap(([w, h]) => [false, true].map((clear) => [w, h, clear] as const)))(
    '%i x %i, transparent pixels: %s',
    (w, h, clear) => {
      for (let k = 0; k < 4; k++) {
        const [a, b] = pair(w, h, clear);
        const want = reference(a, b, 10);
        const wantPct = want.counted === 0 ? null : Math.round((want.changed / want.counted) * 10_000) / 100;
        // Compared once (boxes made as needed), then again and again (the whole image's boxes kept).
        for (let again = 0; again < 3; again++) {
          const map = changeMap(a, b, 10);
          expect(firstDifference(map.delta, want.delta)).toBe(-1);
          expect(map.changed).toBe(changedPercent(want.delta, 10, a.seen ?? null));
          expect(changedPercentBetween(a, b, 10)).toBe(wantPct);
        }
      }
    },
  );

  it('the cases above take each way: boxed out, forgiven as a blend, and over every blend inside the box', () => {
    const ways = { boxedOut: 0, forgiven: 0, noBlend: 0 };
    for (const clear of [false, true]) {
      const [a, b] = pair(100, 40, clear);
      for (const [k, n] of Object.entries(reference(a, b, 10).ways)) ways[k as keyof typeof ways] += n;
    }
    expect(Math.min(ways.boxedOut, ways.forgiven, ways.noBlend)).toBeGreaterThan(10);
  });
});
