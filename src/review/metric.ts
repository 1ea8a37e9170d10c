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
 * changed least; plain `cie76-lab` reviews did neither.
 */
export const METRIC = 'cie76-lab-2';

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
 * {@link changedPercent} of `deltaE(a, b)` among the pixels `a` (the image before) shows, without
 * keeping the differences (no square roots either).
 */
export function changedPercentBetween(a: LabImage, b: LabImage, threshold = CHANGE_THRESHOLD): number | null {
  if (a.width !== b.width || a.height !== b.height)
    throw new RangeError(`size mismatch: ${a.width}x${a.height} vs ${b.width}x${b.height}`);
  const n = a.width * a.height;
  const limit = threshold * threshold;
  const x = a.lab;
  const y = b.lab;
  const seen = a.seen ?? null;
  let over = 0;
  let counted = 0;
  for (let i = 0; i < n; i++) {
    if (seen !== null && seen[i] === 0) continue;
    counted++;
    const dl = (x[3 * i] as number) - (y[3 * i] as number);
    const da = (x[3 * i + 1] as number) - (y[3 * i + 1] as number);
    const db = (x[3 * i + 2] as number) - (y[3 * i + 2] as number);
    if (dl * dl + da * da + db * db > limit) over++;
  }
  return counted === 0 ? null : Math.round((over / counted) * 10_000) / 100;
}
