/**
 * The change metric (docs/architecture.md#change-maps-and-drift): CIE76 colour difference
 * (ΔE*ab, the Euclidean distance in CIELAB, D65 white) between two images of the same size, pixel
 * by pixel. Pure but for the boxes kept of an image compared again (boxes.ts): Lab pixels in
 * (converted by lab.ts), numbers out.
 *
 * Why CIE76 and not CIEDE2000 or pixelmatch's YIQ: Lab is close enough to perceptually uniform for
 * a yes/no "did this pixel visibly change" at a threshold well above the just-noticeable
 * difference (ΔE ≈ 2.3), it costs a square root per pixel on top of the Lab conversion (no
 * trigonometry), and its unit is one people already know. CIEDE2000's corrections matter near the JND, not at 10.
 */

import { boxesAt, keptBoxes, type RowBoxes, rowBoxes } from './boxes.js';

/**
 * The metric's name, as stored in a record's `review.metric`; a review under another name is
 * made again (run/drift.ts's `currentReview`). `-2`: the pixels an input shows only (not its
 * transparent ones), and an input of another aspect ratio laid on the output's the way that
 * changed least; plain `cie76-lab` reviews did neither. `-3`: a pixel counts as changed only when
 * it is over the threshold against every blend of the input's pixel at its place with one it
 * shows in its 3 × 3 neighbourhood ({@link changedPercentBetween}), so a picture moved by up to a
 * pixel at the review size (a provider's resampling misregistration) is not a change; `-2`
 * counted 1.6–8.3 % for a 1-pixel shift of real photos, `-3` counts 0.3–0.4 % (the column the
 * shift filled with black). `-4`: the same both ways (the pixel before must be a blend of the
 * output's around it as well), since `-3` forgave what was removed: a 48 px word erased read
 * 0.09 % (`-2`: 10 %), sixteen 3 px lines erased 0 %; `-4` counts them as `-2` did. A move of
 * a fraction of a pixel at the review size counts a little of the finest detail (small text
 * 2–4 %, 1 px lines 7 %; photos under 0.5 %), which `-3` forgave.
 */
export const METRIC = 'cie76-lab-4';

/**
 * A pixel counts as changed when its ΔE*ab is above this. 2.3 is just noticeable side by side;
 * 10 is a difference seen at a glance. Recompression and resampling noise of a re-encoded image,
 * averaged down to the review size, stays well below it (see test/unit/review/metric.test.ts).
 */
export const CHANGE_THRESHOLD = 10;

/**
 * An image in CIELAB (D65): `lab[3 * i]` is L*, then a*, b*; `width * height` pixels. `seen`
 * (images.ts): 0 for a pixel that was mostly transparent, `null` or absent when every pixel was
 * opaque.
 */
export interface LabImage {
  readonly width: number;
  readonly height: number;
  readonly lab: Float32Array;
  readonly seen?: Uint8Array | null;
}

/**
 * The share of pixels of `b` (the image after) that changed from `a` (the image before), among
 * those `a` shows, without keeping the differences (no square roots either). A pixel is changed
 * when its ΔE*ab is above `threshold` against the pixel of `a` at its place and against every
 * blend of that pixel with one `a` shows around it (3 × 3; the nearest point of the segment
 * between the two in Lab), or when the pixel of `a` is so far from every such blend of `b`'s:
 * a picture moved by up to a pixel, whose resampled pixels are such blends both ways, is not a
 * change; a colour new to its neighbourhood is, and so is one gone from it (a detail removed).
 * Only a pixel over the threshold at its place is looked at again, so an image that barely
 * changed costs one comparison a pixel. The price: at the review size (longest side 256 px), a
 * blur of about a pixel is not counted where both images' colours lie between each other's
 * neighbours.
 * {@link changeMap}'s `changed` is the same figure (counted from its ΔE, kept to 32 bits).
 */
export function changedPercentBetween(a: LabImage, b: LabImage, threshold = CHANGE_THRESHOLD): number | null {
  const { over, counted } = overAround(a, b, threshold, null);
  return counted === 0 ? null : Math.round((over / counted) * 10_000) / 100;
}

/**
 * The change map's ΔE per pixel of `after` against `before`, and its changed share, in one pass:
 * the share of `delta` over `threshold` among the pixels `before` shows (`changed`) is
 * {@link changedPercentBetween}'s figure. `delta` is the plain ΔE*ab per pixel, but 0 where
 * `before` is transparent (it showed nothing: what `after` has
 * there is not counted), and, for a pixel over `threshold` that a blend of the pixel before at its
 * place with one `before` shows around it (3 × 3) matches within it, and whose pixel before a blend
 * of `after`'s matches as well, the larger of the two blends' ΔE: the change map is red exactly
 * where a pixel counts as changed (a changed one keeps its ΔE to the pixel at its place).
 */
export function changeMap(
  before: LabImage,
  after: LabImage,
  threshold = CHANGE_THRESHOLD,
): { delta: Float32Array; changed: number | null } {
  const delta = new Float32Array(before.width * before.height);
  const { over, counted } = overAround(before, after, threshold, delta);
  return { delta, changed: counted === 0 ? null : Math.round((over / counted) * 10_000) / 100 };
}

/**
 * The pixels `a` shows (`counted`), and those of `b` over `threshold` against the pixel of `a` at
 * their place and every blend of it with a neighbour `a` shows (`over`). With `delta`, each pixel's
 * ΔE as {@link changeMap} says, and `over` counts those over `threshold` as stored (32 bits, as
 * a share of `delta` reads them); without, a squared ΔE over the squared threshold. The
 * neighbours' colours are boxed first: the minimum and maximum of each channel over each pixel's
 * 3 × 3 (boxes.ts), made for a span of a row's pixels only once one of them is over. A colour
 * outside the box of its 3 × 3 by more than the threshold (most of a changed region) matches no
 * blend and costs no segment.
 */
function overAround(
  a: LabImage,
  b: LabImage,
  threshold: number,
  delta: Float32Array | null,
): { over: number; counted: number } {
  if (a.width !== b.width || a.height !== b.height)
    throw new RangeError(`size mismatch: ${a.width}x${a.height} vs ${b.width}x${b.height}`);
  const limit = threshold * threshold;
  const { width: w, height: h } = a;
  const x = a.lab;
  const y = b.lab;
  const seen = a.seen ?? null;
  // The backward test's neighbours: every pixel of `b` (a transparent one is compared as the
  // white it is flattened to, as at its own place; skipping it kept a moved object's edge changed).
  const after: LabImage = b.seen ? { width: b.width, height: b.height, lab: y } : b;
  // Per pixel of the current row: the least and the most of each channel in its 3 × 3 (boxes.ts),
  // made a span of pixels at a time as needed; or, for an image compared again (a chain's source,
  // once a node), of every pixel, kept.
  const whole = keptBoxes(a);
  const rows = whole === undefined ? rowBoxes(a) : null;
  const { lo, hi } = whole ?? (rows as RowBoxes);
  let over = 0;
  let counted = 0;
  for (let py = 0; py < h; py++) {
    const row = whole === undefined ? 0 : 3 * py * w;
    for (let px = 0; px < w; px++) {
      const i = py * w + px;
      if (seen !== null && seen[i] === 0) continue; // delta stays 0
      counted++;
      const l = y[3 * i] as number;
      const m = y[3 * i + 1] as number;
      const n = y[3 * i + 2] as number;
      const dl = (x[3 * i] as number) - l;
      const dm = (x[3 * i + 1] as number) - m;
      const dn = (x[3 * i + 2] as number) - n;
      const d2 = dl * dl + dm * dm + dn * dn;
      if (d2 <= limit) {
        if (delta !== null) delta[i] = Math.sqrt(d2);
        continue;
      }
      if (rows !== null) boxesAt(rows, py, px);
      const k = row + 3 * px;
      // How far the colour is outside the box, per channel (0 inside).
      const outside =
        gap(l, lo[k] as number, hi[k] as number) +
        gap(m, lo[k + 1] as number, hi[k + 1] as number) +
        gap(n, lo[k + 2] as number, hi[k + 2] as number);
      if (outside <= limit) {
        const near = nearestBlend(a, y, i, limit);
        // Both ways: the pixel before must be a blend of the output's around it too. Else something
        // that was there is gone (a line or a word removed: the output's colour is the background's,
        // a blend of the input's, but the input's ink is no blend of the output's background).
        const back = near > limit ? near : nearestBlend(after, x, i, limit);
        if (back <= limit) {
          if (delta !== null) delta[i] = Math.sqrt(Math.max(near, back));
          continue;
        }
      }
      if (delta === null) over++;
      else {
        delta[i] = Math.sqrt(d2);
        if ((delta[i] as number) > threshold) over++;
      }
    }
  }
  return { over, counted };
}

/**
 * The squared distance of `v` from the range `lo`..`hi` (0 inside it; `lo` ≤ `hi`, all finite).
 * The side is taken by arithmetic on the comparisons, not by branches: for a changed pixel it is
 * noise to a branch predictor. Exactly `(lo - v)²`, `(v - hi)²` or 0: the other term is ±0.
 */
function gap(v: number, lo: number, hi: number): number {
  const e = (lo - v) * +(v < lo) + (v - hi) * +(v > hi);
  return e * e;
}

/**
 * Whether a blend of pixel `i` of `before` with one of the pixels `before` shows around it (its
 * 8 neighbours inside the image: the segment between the two in Lab) is within `limit` (a
 * squared ΔE) of pixel `i` of `after`: the squared ΔE to the first such blend found, else
 * `Infinity` (the caller counts the pixel as changed; how far it is matters to no one). Only for a
 * pixel over `limit` at its place: a segment that leaves `i` away from `after`'s colour (or has no
 * length) is nearest at `i` itself, so over `limit`, and is skipped without a division.
 */
function nearestBlend(before: LabImage, after: Float32Array, i: number, limit: number): number {
  const { width: w, height: h, lab: x } = before;
  const seen = before.seen ?? null;
  const px = i % w;
  const py = (i - px) / w;
  // The pixel at its place, p: the after pixel o is compared to the segment p..q to each neighbour q.
  const pl = x[3 * i] as number;
  const pa = x[3 * i + 1] as number;
  const pb = x[3 * i + 2] as number;
  const ol = (after[3 * i] as number) - pl;
  const oa = (after[3 * i + 1] as number) - pa;
  const ob = (after[3 * i + 2] as number) - pb;
  for (let yy = py > 0 ? py - 1 : 0, y1 = py < h - 1 ? py + 1 : py; yy <= y1; yy++)
    for (let xx = px > 0 ? px - 1 : 0, x1 = px < w - 1 ? px + 1 : px; xx <= x1; xx++) {
      const j = yy * w + xx;
      if (j === i || (seen !== null && seen[j] === 0)) continue;
      const ql = (x[3 * j] as number) - pl;
      const qa = (x[3 * j + 1] as number) - pa;
      const qb = (x[3 * j + 2] as number) - pb;
      const dot = ol * ql + oa * qa + ob * qb;
      if (dot <= 0) continue; // t = 0: the pixel at its place, over the limit
      const qq = ql * ql + qa * qa + qb * qb;
      const t = Math.min(1, dot / qq);
      const dl = ol - t * ql;
      const da = oa - t * qa;
      const db = ob - t * qb;
      const d = dl * dl + da * da + db * db;
      if (d <= limit) return d;
    }
  return Number.POSITIVE_INFINITY;
}
