/**
 * The neighbourhood boxes of the change metric (metric.ts): per pixel of the image before and per
 * channel, the least and the most value it shows in the pixel's 3 × 3. A colour outside its
 * pixel's box by more than the threshold is a blend of no two of them, so the metric needs no
 * segment for it. Made as a comparison needs them, a row's {@link CHUNK} pixels at a time (where
 * nothing changed, none), or, for an image compared again (a chain's source, once a node), for the
 * whole image once and kept. Pure but for that memo.
 * See docs/architecture.md#change-maps-and-drift.
 */
import type { LabImage } from './metric.js';

/**
 * The boxes of every pixel of `a`, made the second time `a` is compared and kept while one of the
 * last {@link KEPT_BOXES} images so kept (a chain's source is compared once a node: its boxes are
 * made once, not once a node). The first time, none: an image compared once (an input) keeps
 * nothing, its boxes made a span of a row at a time as needed. At 256 × 256 a kept image's boxes are 1.5 MB.
 * They are held no longer than the image itself (whoever decoded it): a long-lived process that
 * reviewed once does not keep the last eight images and their boxes for the rest of its life.
 */
export function keptBoxes(a: LabImage): Boxes | undefined {
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
  const columns = { lo: new Float32Array(3 * w), hi: new Float32Array(3 * w) };
  for (let py = 0; py < h; py++) {
    const row = [3 * py * w, 3 * (py + 1) * w] as const;
    windowBoxes(a, py, { lo: boxes.lo.subarray(...row), hi: boxes.hi.subarray(...row) }, columns, 0, w);
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

export interface Boxes {
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

/**
 * The boxes of the pixels of one row of `a`, at `3 * px` (see {@link boxesAt}), with what makes
 * them: the boxes of the columns over the three rows, before each is widened by its neighbours'.
 */
export interface RowBoxes extends Boxes {
  readonly image: LabImage;
  readonly columns: Boxes;
  /** Per span of {@link CHUNK} pixels: the row whose boxes `lo` and `hi` hold there (-1: none yet). */
  readonly made: Int32Array;
}

/** Pixels whose boxes are made at once: a change in a few places costs the boxes of a few spans. */
const CHUNK_BITS = 5;
export const CHUNK = 1 << CHUNK_BITS;

export function rowBoxes(a: LabImage): RowBoxes {
  const n = 3 * a.width;
  return {
    image: a,
    lo: new Float32Array(n),
    hi: new Float32Array(n),
    columns: { lo: new Float32Array(n), hi: new Float32Array(n) },
    made: new Int32Array(Math.ceil(a.width / CHUNK)).fill(-1),
  };
}

/** Makes sure `rows` holds the box of pixel `px` of row `py` (and of the rest of its span). */
export function boxesAt(rows: RowBoxes, py: number, px: number): void {
  const chunk = px >> CHUNK_BITS;
  if (rows.made[chunk] === py) return;
  const from = chunk << CHUNK_BITS;
  windowBoxes(rows.image, py, rows, rows.columns, from, Math.min(rows.image.width, from + CHUNK));
  rows.made[chunk] = py;
}

/**
 * Two values, one of which is read back by a comparison's 0 or 1: a choice without a branch.
 * Neighbouring pixels' order is noise to a branch predictor, which misses about half of such
 * branches on a photo (boxes made with branches cost twice as much on a noisy one). Synchronous
 * use only.
 */
const pick = new Float64Array(2);

/**
 * For row `py`, pixels `from` to `to` (excluded): per pixel and channel, the least and the most
 * value `a` shows in its 3 × 3 (the row and the rows above and below, the column and its two
 * neighbours; `Infinity` / `-Infinity` where it shows none), into `boxes` at `3 * px`. Columns
 * first (three rows at once, into `columns`, one more each side), then each window of three columns.
 */
function windowBoxes(a: LabImage, py: number, boxes: Boxes, columns: Boxes, from: number, to: number): void {
  const { width: w, height: h, lab: x } = a;
  const seen = a.seen ?? null;
  const y0 = py > 0 ? py - 1 : 0;
  const y1 = py < h - 1 ? py + 1 : py;
  const { lo, hi } = columns;
  const c0 = from > 0 ? from - 1 : 0;
  const c1 = to < w ? to + 1 : w;
  if (seen === null) {
    // Every pixel shown (the common case): the three rows (or two, at an edge) in one pass.
    const r0 = 3 * y0 * w;
    const r1 = 3 * py * w;
    const r2 = 3 * y1 * w;
    for (let k = 3 * c0; k < 3 * c1; k++) {
      const u = x[r0 + k] as number;
      const v = x[r1 + k] as number;
      const z = x[r2 + k] as number;
      // Chosen through `pick`, not by branches.
      pick[0] = u;
      pick[1] = v;
      const s = +(v < u);
      const least = pick[s] as number;
      const most = pick[1 - s] as number;
      pick[0] = least;
      pick[1] = z;
      lo[k] = pick[+(z < least)] as number;
      pick[0] = most;
      hi[k] = pick[+(z > most)] as number;
    }
  } else {
    lo.fill(Number.POSITIVE_INFINITY, 3 * c0, 3 * c1);
    hi.fill(Number.NEGATIVE_INFINITY, 3 * c0, 3 * c1);
    for (let yy = y0; yy <= y1; yy++)
      for (let px = c0; px < c1; px++) {
        if (seen[yy * w + px] === 0) continue;
        for (let c = 0; c < 3; c++) {
          const k = 3 * px + c;
          const v = x[3 * yy * w + k] as number;
          if (v < (lo[k] as number)) lo[k] = v;
          if (v > (hi[k] as number)) hi[k] = v;
        }
      }
  }
  // Each column's box widened by its neighbours' (none past the image's edge), a channel at a
  // time, chosen through `pick`.
  const outLo = boxes.lo;
  const outHi = boxes.hi;
  for (let c = 0; c < 3; c++) {
    let prevLo = lo[3 * c0 + c] as number;
    let prevHi = hi[3 * c0 + c] as number;
    let curLo = lo[3 * from + c] as number;
    let curHi = hi[3 * from + c] as number;
    for (let px = from; px < to; px++) {
      const k = 3 * px + c;
      const nextLo = px + 1 < w ? (lo[k + 3] as number) : curLo;
      const nextHi = px + 1 < w ? (hi[k + 3] as number) : curHi;
      pick[0] = curLo;
      pick[1] = prevLo;
      const least = pick[+(prevLo < curLo)] as number;
      pick[0] = least;
      pick[1] = nextLo;
      outLo[k] = pick[+(nextLo < least)] as number;
      pick[0] = curHi;
      pick[1] = prevHi;
      const most = pick[+(prevHi > curHi)] as number;
      pick[0] = most;
      pick[1] = nextHi;
      outHi[k] = pick[+(nextHi > most)] as number;
      prevLo = curLo;
      prevHi = curHi;
      curLo = nextLo;
      curHi = nextHi;
    }
  }
}
