/**
 * One node's review: its output against its input (this pass's change) and against the chain's
 * original source (the change so far), each as the share of pixels over the threshold, plus the
 * change map (this pass's) stored as a content-addressed blob. See
 * docs/architecture.md#change-maps-and-drift.
 *
 * A reviewer lives for one run and remembers the last few decoded images, so a chain decodes
 * its source once and each output once (as the node's output, then as the next node's input).
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { RunReview, Store } from '../store/types.js';
import { encodeChangeMap } from './change-map.js';
import { type Box, type Fit, labOf, type RgbImage, rgbAt, rgbInside, whyUndecodable } from './images.js';
import { CHANGE_THRESHOLD, changedPercentBetween, changeMap, type LabImage, METRIC } from './metric.js';

/** The image files of one review. */
export interface ReviewFiles {
  readonly output: string;
  readonly input: string;
  /** The chain's original source, `null` when there is no local file (a URL source). */
  readonly source: string | null;
}

/**
 * Bytes of decoded images kept per reviewer. Each image is kept as 8-bit sRGB (3 bytes a pixel)
 * and, while there is room, also as Lab (12 more): when the bytes run out, the Labs go first,
 * least recently used first (one costs ~0.1 ms at 64 x 64 and 1-3 ms at 256 x 256 to make again
 * from its sRGB, a decode ~1.5 ms up to ~25 ms for a 1024 px PNG), then whole images. So a few
 * chains at 256 px (the default -j 4) keep their source's and last output's Lab from one review
 * to the next, and up to about 60 images at 256 x 256 (1,000 at 64 x 64: 100 chains of 64 px run
 * in waves, the scheduler bench) keep their pixels. More buys little: with many chains a pass
 * runs after the whole wave before it (2,500 images in the 10,000-node scale bench, far past any
 * memo), and every byte kept stays in the process's RSS.
 */
const MEMO_BYTES = 12 * 1024 * 1024;

interface Memo {
  readonly key: string;
  readonly rgb: Promise<RgbImage>;
  /** Of the sRGB pixels. */
  readonly bytes: number;
  /** The same in Lab, while there is room (see {@link MEMO_BYTES}). */
  lab: LabImage | null;
}

export class Reviewer {
  /** By `<box>:<path>`, least recently used first. */
  readonly #memo = new Map<string, Memo>();
  /** Of the sRGB pixels and the Labs kept. */
  #memoBytes = 0;
  /** Outputs being decoded (to fit the review size), by path. */
  readonly #decoding = new Map<string, Promise<RgbImage>>();

  constructor(private readonly store: Pick<Store, 'tempPath' | 'adoptBlob'>) {}

  async review(files: ReviewFiles): Promise<RunReview> {
    // The output decides the box; a fresh output is decoded here for the first time.
    const decoded = await this.#output(files.output).catch(undecodable('the output', files.output));
    const output = this.#lab(decoded.entry, decoded.rgb);
    const box = { width: output.width, height: output.height };
    const inputEntry = this.#image(files.input, box);
    const sourceEntry = files.source === null || files.source === files.input ? null : this.#image(files.source, box);
    const [inputRgb, sourceRgb] = await Promise.all([
      inputEntry.rgb.catch(undecodable('the input', files.input)),
      sourceEntry?.rgb.catch(undecodable('the source', files.source ?? '')),
    ]);
    const closest = await this.#closest(files.input, 'the input', inputEntry, inputRgb, output);
    if (closest.changed === null)
      throw new UnreviewableImage('the input', files.input, 'is transparent everywhere: there is nothing to compare');
    const changed = closest.changed;
    const delta = closest.delta ?? changeMap(closest.before, output, CHANGE_THRESHOLD).delta;
    let chain: number | null = null;
    if (files.source === files.input) chain = changed;
    else if (files.source !== null && sourceEntry && sourceRgb)
      chain = (await this.#closest(files.source, 'the source', sourceEntry, sourceRgb, output, false)).changed;
    const map = encodeChangeMap(delta, box, CHANGE_THRESHOLD);
    return {
      metric: METRIC,
      threshold: CHANGE_THRESHOLD,
      changed_pct: changed,
      chain_changed_pct: chain,
      map_sha256: await this.#putMap(map),
      width: box.width,
      height: box.height,
      // How the input was laid on the output's box (the viewer lays it the same way); cover is the default.
      ...(closest.fit === 'cover' ? {} : { fit: closest.fit }),
    };
  }

  /**
   * The image before (`entry`, centre-cropped to the output's box) and its changed share: when
   * its aspect ratio is not the output's, also stretched and fitted inside, and the way that
   * changed least is the one kept (and named: `fit`) (a provider that re-framed, resized or extended the picture
   * did not change what it kept). `changed` is `null` when it shows no pixel. With `map`, the
   * centre-cropped one's `delta` is made on the way (its figure counted from it): the change map's.
   */
  async #closest(
    path: string,
    role: string,
    entry: Memo,
    rgb: RgbImage,
    output: LabImage,
    map = true,
  ): Promise<{ before: LabImage; changed: number | null; fit: Fit; delta: Float32Array | null }> {
    const box = { width: output.width, height: output.height };
    const cropped = this.#lab(entry, rgb);
    const made = map ? changeMap(cropped, output, CHANGE_THRESHOLD) : null;
    let best = {
      before: cropped,
      changed: made === null ? changedPercentBetween(cropped, output, CHANGE_THRESHOLD) : made.changed,
      fit: 'cover' as Fit,
      delta: made?.delta ?? null,
    };
    if (!rgb.reframed) return best;
    for (const fit of ['fill', 'contain'] as const) {
      const other = this.#image(path, box, fit);
      const before = this.#lab(other, await other.rgb.catch(undecodable(role, path)));
      const changed = changedPercentBetween(before, output, CHANGE_THRESHOLD);
      if (changed !== null && (best.changed === null || changed < best.changed))
        best = { before, changed, fit, delta: null };
    }
    return best;
  }

  /** A blob like any other but not fsynced: a power cut costs only the picture (the figures stay in the record). */
  async #putMap(png: Buffer): Promise<string> {
    const sha256 = createHash('sha256').update(png).digest('hex');
    const tmp = this.store.tempPath('change-map');
    await writeFile(tmp, png);
    await this.store.adoptBlob(tmp, sha256, { synced: true });
    return sha256;
  }

  /**
   * Decoded to fit the review size, and remembered at that box (as the next node's input, say).
   * While it decodes, a review that needs the same file at the same box waits for it instead of
   * decoding it again (the next node's review may start before this one is done).
   */
  async #output(path: string): Promise<{ entry: Memo; rgb: RgbImage }> {
    const decoding = rgbInside(path);
    this.#decoding.set(path, decoding);
    try {
      const rgb = await decoding;
      const key = `${rgb.width}x${rgb.height}:${path}`;
      const entry: Memo = { key, rgb: decoding, bytes: rgb.rgb.byteLength + (rgb.seen?.byteLength ?? 0), lab: null };
      this.#remember(entry);
      return { entry, rgb };
    } finally {
      if (this.#decoding.get(path) === decoding) this.#decoding.delete(path);
    }
  }

  /** The image at `box` laid as `fit` says: remembered, being decoded as an output, or decoded now. */
  #image(path: string, box: Box, fit: Fit = 'cover'): Memo {
    const key = `${box.width}x${box.height}:${fit === 'cover' ? '' : `${fit}:`}${path}`;
    const hit = this.#memo.get(key);
    if (hit) {
      this.#memo.delete(key); // most recently used goes last
      this.#memo.set(key, hit);
      return hit;
    }
    const decoding = fit === 'cover' ? this.#decoding.get(path) : undefined;
    const rgb = decoding
      ? decoding.then((d) => (d.width === box.width && d.height === box.height ? d : rgbAt(path, box)))
      : rgbAt(path, box, fit);
    const entry: Memo = { key, rgb, bytes: box.width * box.height * 3, lab: null };
    this.#remember(entry);
    entry.rgb.catch(() => this.#forget(entry));
    return entry;
  }

  /** The entry's Lab: kept, else converted from its sRGB `rgb` (and kept while there is room). */
  #lab(entry: Memo, rgb: RgbImage): LabImage {
    if (entry.lab) return entry.lab;
    const lab = labOf(rgb);
    if (this.#memo.get(entry.key) === entry) {
      entry.lab = lab;
      this.#memoBytes += lab.lab.byteLength;
      this.#trim(entry);
    }
    return lab;
  }

  #remember(entry: Memo): void {
    const old = this.#memo.get(entry.key);
    if (old) this.#forget(old);
    this.#memo.set(entry.key, entry);
    this.#memoBytes += entry.bytes;
    this.#trim(entry);
  }

  /** Back under {@link MEMO_BYTES}: Labs first, then images, least recently used first; never `keep`. */
  #trim(keep: Memo): void {
    for (const entry of this.#memo.values()) {
      if (this.#memoBytes <= MEMO_BYTES) return;
      if (entry !== keep && entry.lab) {
        this.#memoBytes -= entry.lab.lab.byteLength;
        entry.lab = null;
      }
    }
    for (const entry of this.#memo.values()) {
      if (this.#memoBytes <= MEMO_BYTES) return;
      if (entry !== keep) this.#forget(entry);
    }
  }

  #forget(entry: Memo): void {
    if (this.#memo.get(entry.key) !== entry) return;
    this.#memo.delete(entry.key);
    this.#memoBytes -= entry.bytes + (entry.lab?.lab.byteLength ?? 0);
  }
}

/**
 * An image the review cannot use: which (`role`: the output, the input, the source), its file,
 * and why (`why`, without the file: what a report shows).
 */
export class UnreviewableImage extends Error {
  constructor(
    readonly role: string,
    readonly path: string,
    readonly why: string,
  ) {
    super(`${role} ${path} ${why}`);
  }
}

/** A decode's failure as the warning says it: which image, which file, why. */
function undecodable(role: string, path: string): (e: unknown) => Promise<never> {
  return async (e) => {
    throw new UnreviewableImage(role, path, await whyUndecodable(path, e));
  };
}
