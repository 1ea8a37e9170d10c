/**
 * The change metric (docs/architecture.md#change-maps-and-drift): CIE76 colour difference
 * (ΔE*ab, the Euclidean distance in CIELAB, D65 white) between two images of the same size, pixel
 * by pixel. Pure: Lab pixels in (converted by libvips, images.ts), numbers out.
 *
 * Why CIE76 and not CIEDE2000 or pixelmatch's YIQ: Lab is close enough to perceptually uniform for
 * a yes/no "did this pixel visibly change" at a threshold well above the just-noticeable
 * difference (ΔE ≈ 2.3), it costs a square root per pixel on top of the Lab conversion (no
 * trigonometry), and its unit is one people already know. CIEDE2000's corrections matter near the JND, not at 10.
 */

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

/** ΔE*ab per pixel of two same-sized Lab images. */
export function deltaE(a: LabImage, b: LabImage): Float32Array {
  if (a.width !== b.width || a.height !== b.height)
    throw new RangeError(`size mismatch: ${a.width}x${a.height} vs ${b.width}x${b.height}`);
  const n = a.width * a.height;
  const out = new Float32Array(n);
  const x = a.lab;
  const y = b.lab;
  for (let i = 0; i < n; i++) {
    const dl = (x[3 * i] as number) - (y[3 * i] as number);
    const da = (x[3 * i + 1] as number) - (y[3 * i + 1] as number);
    const db = (x[3 * i + 2] as number) - (y[3 * i + 2] as number);
    out[i] = Math.sqrt(dl * dl + da * da + db * db);
  }
  return out;
}

/**
 * Percentage (0–100, two decimals) of pixels whose ΔE is above `threshold`, among those `seen`
 * (all without it). A transparent pixel of the image before holds no colour anyone saw: what
 * the pass put there is not counted either way. `null` when no pixel is seen (nothing to compare).
 */
export function changedPercent(
  delta: Float32Array,
  threshold = CHANGE_THRESHOLD,
  seen: Uint8Array | null = null,
): number | null {
  let over = 0;
  let counted = 0;
  for (let i = 0; i < delta.length; i++) {
    if (seen !== null && seen[i] === 0) continue;
    counted++;
    if ((delta[i] as number) > threshold) over++;
  }
  return counted === 0 ? null : Math.round((over / counted) * 10_000) / 100;
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
 * {@link changedPercent} of `forgiveShift(deltaE(a, b), a, b)` is the same figure.
 */
export function changedPercentBetween(a: LabImage, b: LabImage, threshold = CHANGE_THRESHOLD): number | null {
  const { over, counted } = overAround(a, b, threshold * threshold, null);
  return counted === 0 ? null : Math.round((over / counted) * 10_000) / 100;
}

/**
 * `delta` (`deltaE(before, after)`, changed in place and returned) as {@link changedPercentBetween}
 * counts it: a pixel over `threshold` that a blend of the pixel before at its place with one
 * `before` shows around it (3 × 3) matches within it, and whose pixel before a blend of `after`'s
 * matches as well, gets the larger of the two blends' ΔE, so the change map is
 * red exactly where a pixel counts as changed (a changed one keeps its ΔE to the pixel at its
 * place).
 */
export function forgiveShift(
  delta: Float32Array,
  before: LabImage,
  after: LabImage,
  threshold = CHANGE_THRESHOLD,
): Float32Array {
  overAround(before, after, threshold * threshold, (i, d) => {
    delta[i] = Math.sqrt(d);
  });
  return delta;
}

/**
 * The pixels `a` shows (`counted`), and those of `b` over `limit` (a squared ΔE) against the
 * pixel of `a` at their place and every blend of it with a neighbour `a` shows (`over`).
 * `forgiven` is told each pixel over `limit` at its place that a blend matches, with that
 * blend's squared ΔE. The neighbours' colours are boxed first, per row of pixels: the minimum and
 * maximum of each channel over each pixel's 3 × 3 ({@link windowBoxes}), made for a row only once
 * one of its pixels is over `limit`. A colour outside the box of its 3 × 3 by more
 * than the threshold (most of a changed region) matches no blend and costs no segment.
 */
function overAround(
  a: LabImage,
  b: LabImage,
  limit: number,
  forgiven: ((i: number, d: number) => void) | null,
): { over: number; counted: number } {
  if (a.width !== b.width || a.height !== b.height)
    throw new RangeError(`size mismatch: ${a.width}x${a.height} vs ${b.width}x${b.height}`);
  const { width: w, height: h } = a;
  const x = a.lab;
  const y = b.lab;
  const seen = a.seen ?? null;
  // The backward test's neighbours: every pixel of `b` (a transparent one is compared as the
  // white it is flattened to, as at its own place; skipping it kept a moved object's edge changed).
  const after: LabImage = b.seen ? { width: b.width, height: b.height, lab: y } : b;
  // Per pixel of the current row: the least and the most of each channel in its 3 × 3 (windowBoxes);
  // or, for an image compared again (a chain's source, once a node), of every pixel, kept.
  const whole = keptBoxes(a);
  const lo = whole?.lo ?? new Float32Array(3 * w);
  const hi = whole?.hi ?? new Float32Array(3 * w);
  let over = 0;
  let counted = 0;
  for (let py = 0; py < h; py++) {
    let boxed = whole !== undefined;
    const row = whole === undefined ? 0 : 3 * py * w;
    for (let px = 0; px < w; px++) {
      const i = py * w + px;
      if (seen !== null && seen[i] === 0) continue;
      counted++;
      const l = y[3 * i] as number;
      const m = y[3 * i + 1] as number;
      const n = y[3 * i + 2] as number;
      const dl = (x[3 * i] as number) - l;
      const dm = (x[3 * i + 1] as number) - m;
      const dn = (x[3 * i + 2] as number) - n;
      if (dl * dl + dm * dm + dn * dn <= limit) continue;
      if (!boxed) {
        windowBoxes(a, py, lo, hi);
        boxed = true;
      }
      const k = row + 3 * px;
      // How far the colour is outside the box, per channel (0 inside).
      const outside =
        gap(l, lo[k] as number, hi[k] as number) +
        gap(m, lo[k + 1] as number, hi[k + 1] as number) +
        gap(n, lo[k + 2] as number, hi[k + 2] as number);
      if (outside > limit) {
        over++;
        continue;
      }
      const near = nearestBlend(a, y, i, limit);
      if (near > limit) {
        over++;
        continue;
      }
      // Both ways: the pixel before must be a blend of the output's around it too. Else something
      // that was there is gone (a line or a word removed: the output's colour is the background's,
      // a blend of the input's, but the input's ink is no blend of the output's background).
      const back = nearestBlend(after, x, i, limit);
      if (back > limit) over++;
      else forgiven?.(i, Math.max(near, back));
    }
  }
  return { over, counted };
}

/**
 * The boxes of every pixel of `a`, made the second time `a` is compared and kept while one of the
 * last {@link KEPT_BOXES} images so kept (a chain's source is compared once a node: its boxes are
 * made once, not once a node). The first time, none: an image compared once (an input) keeps
 * nothing, its row boxes made as they are needed. At 256 × 256 a kept image's boxes are 1.5 MB.
 * They are held no longer than the image itself (whoever decoded it): a long-lived process that
 * reviewed once does not keep the last eight images and their boxes for the rest of its life.
 */
function keptBoxes(a: LabImage): Boxes | undefined {
  const kept = keptBoxesOf.get(a);
  if (kept !== undefined) {
    const at = keptOrder.findIndex((r) => r.deref() === a);
    if (at >= 0) keptOrder.push(...keptOrder.splice(at, 1)); // the most recently used goes last
    return kept;
  }
  if (!comparedOnce.has(a)) {
    comparedOnce.add(a);
    return undefined;
  }
  const { width: w, height: h } = a;
  const boxes = { lo: new Float32Array(3 * w * h), hi: new Float32Array(3 * w * h) };
  for (let py = 0; py < h; py++) {
    const row = [3 * py * w, 3 * (py + 1) * w] as const;
    windowBoxes(a, py, boxes.lo.subarray(...row), boxes.hi.subarray(...row));
  }
  keptBoxesOf.set(a, boxes);
  // Images collected since hold no slot: a live one is evicted only for another live one.
  for (let i = keptOrder.length - 1; i >= 0; i--) if (keptOrder[i]?.deref() === undefined) keptOrder.splice(i, 1);
  keptOrder.push(new WeakRef(a));
  while (keptOrder.length > KEPT_BOXES) {
    const old = keptOrder.shift()?.deref();
    if (old !== undefined) keptBoxesOf.delete(old);
  }
  return boxes;
}

interface Boxes {
  readonly lo: Float32Array;
  readonly hi: Float32Array;
}

/** How many images' whole boxes are kept: a few chains' sources (the default -j 4, and more). */
const KEPT_BOXES = 8;
/** By image; weakly, so they go with their image (see {@link keptBoxes}). */
const keptBoxesOf = new WeakMap<LabImage, Boxes>();
/** The images with kept boxes, least recently used first (an image collected meanwhile is a spent ref). */
const keptOrder: WeakRef<LabImage>[] = [];
/** The images compared once: a second comparison keeps their boxes. */
const comparedOnce = new WeakSet<LabImage>();

/** The squared distance of `v` from the range `lo`..`hi` (0 inside it). */
function gap(v: number, lo: number, hi: number): number {
  if (v < lo) return (lo - v) * (lo - v);
  if (v > hi) return (v - hi) * (v - hi);
  return 0;
}

/**
 * For row `py`: per pixel and channel, the least and the most value `a` shows in its 3 × 3 (the
 * row and the rows above and below, the column and its two neighbours; `Infinity` / `-Infinity`
 * where it shows none). Columns first (three rows at once), then each window of three columns.
 */
function windowBoxes(a: LabImage, py: number, lo: Float32Array, hi: Float32Array): void {
  const { width: w, height: h, lab: x } = a;
  const seen = a.seen ?? null;
  const y0 = py > 0 ? py - 1 : 0;
  const y1 = py < h - 1 ? py + 1 : py;
  if (seen === null) {
    // Every pixel shown (the common case): the three rows (or two, at an edge) in one pass.
    const r0 = 3 * y0 * w;
    const r1 = 3 * py * w;
    const r2 = 3 * y1 * w;
    for (let k = 0; k < 3 * w; k++) {
      const u = x[r0 + k] as number;
      const v = x[r1 + k] as number;
      const z = x[r2 + k] as number;
      // Comparisons, not Math.min/max (their NaN and -0 rules cost a quarter of the metric here).
      let least = u;
      let most = u;
      if (v < least) least = v;
      if (v > most) most = v;
      if (z < least) least = z;
      if (z > most) most = z;
      lo[k] = least;
      hi[k] = most;
    }
  } else {
    lo.fill(Number.POSITIVE_INFINITY);
    hi.fill(Number.NEGATIVE_INFINITY);
    for (let yy = y0; yy <= y1; yy++)
      for (let px = 0; px < w; px++) {
        if (seen[yy * w + px] === 0) continue;
        for (let c = 0; c < 3; c++) {
          const k = 3 * px + c;
          const v = x[3 * yy * w + k] as number;
          if (v < (lo[k] as number)) lo[k] = v;
          if (v > (hi[k] as number)) hi[k] = v;
        }
      }
  }
  // Each column's box widened by its neighbours', in place: a column's old box is kept until
  // the next column has used it.
  for (let c = 0; c < 3; c++) {
    let prevLo = lo[c] as number;
    let prevHi = hi[c] as number;
    for (let k = c; k < 3 * w; k += 3) {
      const curLo = lo[k] as number;
      const curHi = hi[k] as number;
      const nextLo = k + 3 < 3 * w ? (lo[k + 3] as number) : curLo;
      const nextHi = k + 3 < 3 * w ? (hi[k + 3] as number) : curHi;
      let least = curLo;
      let most = curHi;
      if (prevLo < least) least = prevLo;
      if (prevHi > most) most = prevHi;
      if (nextLo < least) least = nextLo;
      if (nextHi > most) most = nextHi;
      lo[k] = least;
      hi[k] = most;
      prevLo = curLo;
      prevHi = curHi;
    }
  }
}

/**
 * Whether a blend of pixel `i` of `before` with one of the pixels `before` shows around it (its
 * 8 neighbours inside the image: the segment between the two in Lab) is within `limit` (a
 * squared ΔE) of pixel `i` of `after`: the squared ΔE to the first such blend found, else the
 * smallest, over `limit` (`Infinity` when no neighbour is shown).
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
  let best = Number.POSITIVE_INFINITY;
  for (let yy = py > 0 ? py - 1 : 0, y1 = py < h - 1 ? py + 1 : py; yy <= y1; yy++)
    for (let xx = px > 0 ? px - 1 : 0, x1 = px < w - 1 ? px + 1 : px; xx <= x1; xx++) {
      const j = yy * w + xx;
      if (j === i || (seen !== null && seen[j] === 0)) continue;
      const ql = (x[3 * j] as number) - pl;
      const qa = (x[3 * j + 1] as number) - pa;
      const qb = (x[3 * j + 2] as number) - pb;
      const qq = ql * ql + qa * qa + qb * qb;
      const dot = ol * ql + oa * qa + ob * qb;
      const t = qq === 0 ? 0 : Math.min(1, Math.max(0, dot / qq));
      const dl = ol - t * ql;
      const da = oa - t * qa;
      const db = ob - t * qb;
      const d = dl * dl + da * da + db * db;
      if (d <= limit) return d;
      if (d < best) best = d;
    }
  return best;
}
