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
import { labAt, labInside, type Box } from './images.js';
import { CHANGE_THRESHOLD, changedPercent, changedPercentBetween, deltaE, METRIC, type LabImage } from './metric.js';

/** The image files of one review. */
export interface ReviewFiles {
  readonly output: string;
  readonly input: string;
  /** The chain's original source, `null` when there is no local file (a URL source). */
  readonly source: string | null;
}

/**
 * Bytes of decoded images kept per reviewer: about 15 at 256 x 256 (0.8 MB each), enough for a
 * chain's source and last output to outlive the reviews in between at the default -j 4. More buys
 * little: with many chains a pass runs after the whole wave before it (2,500 images in the
 * 10,000-node scale bench, far past any memo), and every byte kept stays in the process's RSS.
 */
const MEMO_BYTES = 12 * 1024 * 1024;

interface Memo {
  readonly lab: Promise<LabImage>;
  readonly bytes: number;
}

export class Reviewer {
  /** By `<box>:<path>`, least recently used first. */
  readonly #memo = new Map<string, Memo>();
  #memoBytes = 0;
  /** Outputs being decoded (to fit the review size), by path. */
  readonly #decoding = new Map<string, Promise<LabImage>>();

  constructor(private readonly store: Pick<Store, 'tempPath' | 'adoptBlob'>) {}

  async review(files: ReviewFiles): Promise<RunReview> {
    // The output decides the box; a fresh output is decoded here for the first time.
    const output = await this.#outputLab(files.output);
    const box = { width: output.width, height: output.height };
    const [input, source] = await Promise.all([
      this.#lab(files.input, box),
      files.source === null || files.source === files.input ? null : this.#lab(files.source, box),
    ]);
    const delta = deltaE(input, output);
    const changed = changedPercent(delta, CHANGE_THRESHOLD);
    let chain: number | null = null;
    if (files.source === files.input) chain = changed;
    else if (source !== null) chain = changedPercentBetween(source, output, CHANGE_THRESHOLD);
    const map = encodeChangeMap(delta, box, CHANGE_THRESHOLD);
    return {
      metric: METRIC,
      threshold: CHANGE_THRESHOLD,
      changed_pct: changed,
      chain_changed_pct: chain,
      map_sha256: await this.#putMap(map),
      width: box.width,
      height: box.height,
    };
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
  async #outputLab(path: string): Promise<LabImage> {
    const decoding = labInside(path);
    this.#decoding.set(path, decoding);
    try {
      const lab = await decoding;
      this.#remember(`${lab.width}x${lab.height}:${path}`, { lab: decoding, bytes: lab.lab.byteLength });
      return lab;
    } finally {
      if (this.#decoding.get(path) === decoding) this.#decoding.delete(path);
    }
  }

  #lab(path: string, box: Box): Promise<LabImage> {
    const key = `${box.width}x${box.height}:${path}`;
    const hit = this.#memo.get(key);
    if (hit) {
      this.#memo.delete(key); // most recently used goes last
      this.#memo.set(key, hit);
      return hit.lab;
    }
    const decoding = this.#decoding.get(path);
    const lab = decoding
      ? decoding.then((d) => (d.width === box.width && d.height === box.height ? d : labAt(path, box)))
      : labAt(path, box);
    const entry = { lab, bytes: box.width * box.height * 12 };
    this.#remember(key, entry);
    entry.lab.catch(() => this.#forget(key, entry));
    return entry.lab;
  }

  #remember(key: string, entry: Memo): void {
    const old = this.#memo.get(key);
    if (old) this.#forget(key, old);
    this.#memo.set(key, entry);
    this.#memoBytes += entry.bytes;
    for (const [oldest, first] of this.#memo) {
      if (this.#memoBytes <= MEMO_BYTES || first === entry) break;
      this.#forget(oldest, first);
    }
  }

  #forget(key: string, entry: Memo): void {
    if (this.#memo.get(key) !== entry) return;
    this.#memo.delete(key);
    this.#memoBytes -= entry.bytes;
  }
}
