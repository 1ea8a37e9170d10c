/** One node's review against a real store: numbers, the stored change map, the chain, and failures. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Reviewer } from '../../../src/review/index.js';
import { openStore } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/types.js';

let dir: string;
let store: Store;
let source: string;
let half: string;
let full: string;

/** 400 x 300 grey, with the left `fraction` of the columns painted red. */
async function image(name: string, fraction: number): Promise<string> {
  const w = 400;
  const h = 300;
  const px = Buffer.alloc(w * h * 3, 128);
  for (let y = 0; y < h; y++) for (let x = 0; x < Math.round(w * fraction); x++) px.set([220, 30, 30], 3 * (y * w + x));
  const path = join(dir, name);
  await writeFile(
    path,
    await sharp(px, { raw: { width: w, height: h, channels: 3 } })
      .png()
      .toBuffer(),
  );
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-reviewer-'));
  store = await openStore(join(dir, 'cache'));
  source = await image('source.png', 0);
  half = await image('half.png', 0.5);
  full = await image('full.png', 1);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('Reviewer', () => {
  it('measures this pass against its input and the chain against the source', async () => {
    const review = await new Reviewer(store).review({ output: full, input: half, source });
    expect(review).toMatchObject({ metric: 'cie76-lab-4', threshold: 10, width: 256, height: 192 });
    expect(review.changed_pct).toBeCloseTo(50, 0);
    expect(review.chain_changed_pct).toBe(100);
  });

  it('stores the change map as a PNG blob with alpha at the review size, clear where unchanged', async () => {
    const review = await new Reviewer(store).review({ output: half, input: source, source });
    expect(review.chain_changed_pct).toBe(review.changed_pct);
    expect(await store.hasBlob(review.map_sha256)).toBe(true);
    const bytes = await readFile(store.blobPath(review.map_sha256));
    const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    expect(info).toMatchObject({ width: review.width, height: review.height, channels: 4 });
    const alphaAt = (x: number, y: number): number => data[4 * (y * info.width + x) + 3] as number;
    expect(alphaAt(10, 100)).toBeGreaterThan(150); // the red half: changed
    expect(alphaAt(info.width - 10, 100)).toBe(0); // the grey half: untouched
  });

  it('has no chain figure when the source is not a local file', async () => {
    const review = await new Reviewer(store).review({ output: full, input: half, source: null });
    expect(review.chain_changed_pct).toBeNull();
  });

  it('decodes each image of a chain once: the previous output and the source come from memory', async () => {
    const reviewer = new Reviewer(store);
    const copy = async (from: string, name: string): Promise<string> => {
      const to = join(dir, name);
      await writeFile(to, await readFile(from));
      return to;
    };
    const src = await copy(source, 'chain-source.png');
    const mid = await copy(half, 'chain-mid.png');
    await reviewer.review({ output: mid, input: src, source: src });
    await rm(src);
    await rm(mid);
    // Both files are gone: only the reviewer's memory can supply them.
    const review = await reviewer.review({ output: full, input: mid, source: src });
    expect(review.changed_pct).toBeCloseTo(50, 0);
    expect(review.chain_changed_pct).toBe(100);
    await expect(new Reviewer(store).review({ output: full, input: mid, source: src })).rejects.toThrow();
  });

  it('remembers a whole wave of chains until their next pass (12 chains at 256 x 192: 24 images)', async () => {
    // Kept as 8-bit sRGB (147 KB each here); as Lab (590 KB each) 24 would not fit the memo.
    const reviewer = new Reviewer(store);
    const copy = async (from: string, name: string): Promise<string> => {
      const to = join(dir, name);
      await writeFile(to, await readFile(from));
      return to;
    };
    const chains = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => ({
        src: await copy(source, `wave-source-${i}.png`),
        mid: await copy(half, `wave-mid-${i}.png`),
      })),
    );
    for (const { src, mid } of chains) await reviewer.review({ output: mid, input: src, source: src });
    for (const { src, mid } of chains) await Promise.all([rm(src), rm(mid)]);
    // Every file of the first wave is gone: the second wave's inputs and sources come from memory.
    for (const { src, mid } of chains) {
      const review = await reviewer.review({ output: full, input: mid, source: src });
      expect(review.changed_pct).toBeCloseTo(50, 0);
      expect(review.chain_changed_pct).toBe(100);
    }
  });

  it('gives the same figures when the next review starts while the previous output is still decoding', async () => {
    const reviewer = new Reviewer(store);
    const [first, second] = await Promise.all([
      reviewer.review({ output: half, input: source, source }),
      reviewer.review({ output: full, input: half, source }),
    ]);
    expect(first.changed_pct).toBeCloseTo(50, 0);
    expect(second.changed_pct).toBeCloseTo(50, 0);
    expect(second.chain_changed_pct).toBe(100);
  });

  it('rejects (never hangs) when an image cannot be decoded, and recovers for the next review', async () => {
    const reviewer = new Reviewer(store);
    const junk = join(dir, 'junk.png');
    await writeFile(junk, Buffer.from('\x89PNG\r\n\x1a\nnot really'));
    await expect(reviewer.review({ output: junk, input: half, source })).rejects.toThrow();
    await expect(reviewer.review({ output: full, input: junk, source })).rejects.toThrow();
    await expect(reviewer.review({ output: full, input: join(dir, 'gone.png'), source })).rejects.toThrow();
    expect((await reviewer.review({ output: full, input: half, source })).changed_pct).toBeCloseTo(50, 0);
  });
});
