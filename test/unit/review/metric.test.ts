import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changedPercentBetween, CHANGE_THRESHOLD, changeMap, type LabImage } from '../../../src/review/metric.js';
import { changedPercent, deltaE } from './plain-metric.js';
import { labAt, labInside } from '../../../src/review/images.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-metric-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A w x h RGB image, every pixel from `at(x, y)`. */
function pixels(w: number, h: number, at: (x: number, y: number) => readonly [number, number, number]): Buffer {
  const buf = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const [r, g, b] = at(x, y);
      buf.set([r, g, b], 3 * (y * w + x));
    }
  return buf;
}

async function png(name: string, w: number, h: number, px: Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(
    path,
    await sharp(px, { raw: { width: w, height: h, channels: 3 } })
      .png()
      .toBuffer(),
  );
  return path;
}

/** A smooth, textured photo stand-in (gradients plus a pattern), so resampling has something to blur. */
const photo = (x: number, y: number): [number, number, number] => [
  (x * 7 + y) % 256,
  (y * 3 + 40) % 256,
  Math.round(128 + 100 * Math.sin(x / 9) * Math.cos(y / 13)),
];

/** Smooth like most photos (no hard colour edges, which JPEG's chroma subsampling smears: see the docs). */
const smooth = (x: number, y: number): [number, number, number] => [
  Math.round(128 + 90 * Math.sin(x / 23) * Math.cos(y / 31)),
  Math.round(100 + 60 * Math.cos((x + y) / 41)),
  Math.round(128 + 100 * Math.sin(x / 9) * Math.cos(y / 13)),
];

/** The changed share of `b` against `a` at `box`, as the reviewer counts it. */
async function changed(a: string, b: string, box = { width: 256, height: 256 }): Promise<number> {
  return changedPercentBetween(await labAt(a, box), await labAt(b, box)) ?? Number.NaN;
}

describe('Lab and deltaE (CIE76)', () => {
  it('decodes white, black and sRGB red to their known Lab values (D65)', async () => {
    const path = await png('wbr.png', 3, 1, Buffer.from([255, 255, 255, 0, 0, 0, 255, 0, 0]));
    const { lab } = await labAt(path, { width: 3, height: 1 });
    expect(lab[0]).toBeCloseTo(100, 0);
    expect(lab[1]).toBeCloseTo(0, 0);
    expect(lab[3]).toBeCloseTo(0, 0);
    expect(lab[6]).toBeCloseTo(53.24, 0);
    expect(lab[7]).toBeCloseTo(80.09, 0);
    expect(lab[8]).toBeCloseTo(67.2, 0);
  });

  it('decodes 16-bit, grey and transparent images as sRGB flattened on white', async () => {
    const grey16 = join(dir, 'grey16.png');
    await sharp(Buffer.alloc(4 * 4 * 3, 128), { raw: { width: 4, height: 4, channels: 3 } })
      .toColourspace('rgb16')
      .png()
      .toFile(grey16);
    const grey = join(dir, 'grey.png');
    await sharp(Buffer.alloc(4 * 4, 128), { raw: { width: 4, height: 4, channels: 1 } })
      .png()
      .toFile(grey);
    const clear = join(dir, 'clear.png');
    await sharp(Buffer.alloc(4 * 4 * 4, 0), { raw: { width: 4, height: 4, channels: 4 } })
      .png()
      .toFile(clear);
    for (const [path, l] of [
      [grey16, 53.59],
      [grey, 53.59],
      [clear, 100],
    ] as const) {
      const { lab } = await labInside(path);
      expect(lab).toHaveLength(4 * 4 * 3);
      expect(lab[0]).toBeCloseTo(l, 0);
      expect(Math.abs(lab[1] as number) + Math.abs(lab[2] as number)).toBeLessThan(0.1);
    }
  });

  it('is 0 for the same pixels and refuses images of different sizes', () => {
    const lab = (w: number, h: number): LabImage => ({ width: w, height: h, lab: new Float32Array(w * h * 3).fill(3) });
    expect([...deltaE(lab(4, 4), lab(4, 4))].every((d) => d === 0)).toBe(true);
    expect(() => deltaE(lab(4, 4), lab(4, 2))).toThrow(/size mismatch/);
    const a: LabImage = { width: 1, height: 1, lab: Float32Array.from([50, 0, 0]) };
    const b: LabImage = { width: 1, height: 1, lab: Float32Array.from([53, 4, 0]) };
    expect(deltaE(a, b)[0]).toBeCloseTo(5, 5);
  });

  it('counts the same without keeping the differences', () => {
    let seed = 3;
    const rand = (): number => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const a: LabImage = { width: 50, height: 40, lab: Float32Array.from({ length: 6000 }, () => rand() * 100) };
    const b: LabImage = { width: 50, height: 40, lab: a.lab.map((v) => v + (rand() - 0.5) * 20) };
    // The change map's differences (forgiven where a neighbour's blend matches) count the same.
    const map = changeMap(a, b);
    const pct = changedPercent(map.delta);
    expect(map.changed).toBe(pct);
    expect(pct).toBeGreaterThan(5);
    expect(pct).toBeLessThan(95);
    expect(changedPercentBetween(a, b)).toBe(pct);
    // Noise of ±10 on random pixels: some pixels over the threshold at their place match a blend.
    expect(changedPercent(deltaE(a, b))).toBeGreaterThan(pct ?? 100);
    expect(changedPercentBetween(a, a)).toBe(0);
    expect(() => changedPercentBetween(a, { ...a, height: 20 })).toThrow(/size mismatch/);
  });

  it('counts pixels strictly above the threshold', () => {
    const d = Float32Array.from([0, CHANGE_THRESHOLD, CHANGE_THRESHOLD + 0.01, 50]);
    expect(changedPercent(d)).toBe(50);
    // Nothing to count (no pixel, or none the image before showed): no figure rather than 0 %.
    expect(changedPercent(new Float32Array(0))).toBeNull();
    expect(changedPercent(d, CHANGE_THRESHOLD, Uint8Array.from([1, 0, 1, 0]))).toBe(50);
    expect(changedPercent(d, CHANGE_THRESHOLD, Uint8Array.from([0, 0, 1, 1]))).toBe(100);
    expect(changedPercent(d, CHANGE_THRESHOLD, new Uint8Array(4))).toBeNull();
  });
});

describe('the neighbourhood boxes kept for an image compared again', () => {
  it('give the same figures and map as the boxes made row by row, with and without transparency', () => {
    let seed = 11;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const image = (w: number, h: number, clear: boolean): LabImage => {
      const lab = new Float32Array(3 * w * h).map(
        (_, i) => (i % 3 === 0 ? 100 : 120) * rand() - (i % 3 === 0 ? 0 : 60),
      );
      const seen = clear ? new Uint8Array(w * h).map(() => (rand() < 0.2 ? 0 : 1)) : null;
      return { width: w, height: h, lab, seen };
    };
    // Rows far apart in colour, and the same moved up one row: forgiven only through the row below's box.
    const striped = (w: number, h: number, up: number): LabImage => {
      const lab = new Float32Array(3 * w * h);
      for (let i = 0; i < w * h; i++) {
        const row = Math.min(h - 1, Math.floor(i / w) + up);
        lab.set([20 + 15 * (row % 5), 30 * ((row * 7) % 3) - 30, 25 * (row % 4) - 40], 3 * i);
      }
      return { width: w, height: h, lab, seen: null };
    };
    for (const clear of [false, true]) {
      const source = clear ? image(17, 11, true) : striped(17, 11, 0);
      const outputs = clear
        ? [image(17, 11, false), image(17, 11, true), image(17, 11, false)]
        : [striped(17, 11, 1), image(17, 11, false), striped(17, 11, 0)];
      // The source is compared once (row boxes), then again and again (its boxes kept).
      const first = outputs.map((o) => changedPercentBetween(source, o));
      const again = outputs.map((o) => changedPercentBetween(source, o));
      expect(again).toEqual(first);
      expect(first.some((f) => f !== null && f > 0 && f < 100)).toBe(true);
      const maps = outputs.map((o) => changeMap(source, o));
      const fresh = { ...source }; // another object: compared for the first time, row boxes
      expect(outputs.map((o) => changeMap(fresh, o))).toEqual(maps);
    }
  });

  it('go with their image: nothing keeps an image compared twice once its owner lets it go', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const refs = ((): WeakRef<LabImage>[] => {
      const made: WeakRef<LabImage>[] = [];
      for (let k = 0; k < 3; k++) {
        const source: LabImage = { width: 64, height: 64, lab: new Float32Array(3 * 64 * 64).fill(k), seen: null };
        const output: LabImage = { ...source, lab: new Float32Array(3 * 64 * 64).fill(50) };
        changedPercentBetween(source, output);
        changedPercentBetween(source, output); // the second comparison keeps its boxes
        made.push(new WeakRef(source));
      }
      return made;
    })();
    // A WeakRef is cleared only after the job that made it; then a full collection.
    await new Promise((r) => setTimeout(r, 0));
    gc();
    expect(refs.map((r) => r.deref())).toEqual([undefined, undefined, undefined]);
  });
});

describe('changed area on generated images', () => {
  it('is 0% for an image against itself', async () => {
    const a = await png('a.png', 512, 512, pixels(512, 512, photo));
    expect(await changed(a, a)).toBe(0);
  });

  it('is about 10% for a square painted over 10% of the image', async () => {
    const side = Math.round(512 * Math.sqrt(0.1)); // 162 px: 10.01% of 512 x 512
    const a = await png('base.png', 512, 512, pixels(512, 512, photo));
    const b = await png(
      'square.png',
      512,
      512,
      pixels(512, 512, (x, y) =>
        x >= 100 && x < 100 + side && y >= 200 && y < 200 + side ? [0, 255, 0] : photo(x, y),
      ),
    );
    const pct = await changed(a, b);
    expect(pct).toBeGreaterThan(9);
    expect(pct).toBeLessThan(11.5);
  });

  it('is 100% for an image replaced by a very different one', async () => {
    const a = await png(
      'white.png',
      300,
      200,
      pixels(300, 200, () => [250, 250, 250]),
    );
    const b = await png(
      'dark.png',
      300,
      200,
      pixels(300, 200, (x, y) => [(x + y) % 60, 20, 40]),
    );
    expect(await changed(a, b, { width: 256, height: 171 })).toBe(100);
  });

  it('is ~0% for a picture moved by a pixel any way (a misregistration), at or below the review size', async () => {
    const a = await png('still.png', 512, 512, pixels(512, 512, photo));
    for (const [dx, dy] of [
      [1, 0],
      [-1, 0],
      [0, 1],
      [1, 1],
      [2, 0], // 512 px moved by 2: one pixel at the review size
    ] as const) {
      const b = await png(
        `moved-${dx}-${dy}.png`,
        512,
        512,
        pixels(512, 512, (x, y) => photo(x + dx, y + dy)),
      );
      const box = { width: 256, height: 256 };
      const [before, after] = [await labAt(a, box), await labAt(b, box)];
      // Pixel by pixel, the sharp edges of the picture moved: counted as changed before (cie76-lab-2).
      expect(changedPercent(deltaE(before, after)), `${dx},${dy}`).toBeGreaterThan(2);
      expect(changedPercentBetween(before, after), `${dx},${dy}`).toBeLessThan(0.5);
    }
    // Moved by one pixel at the review size itself (nearest-neighbour: no blend at all).
    const c = await png('still-256.png', 256, 256, pixels(256, 256, photo));
    const d = await png(
      'moved-256.png',
      256,
      256,
      pixels(256, 256, (x, y) => photo(x + 1, y)),
    );
    expect(await changed(c, d)).toBeLessThan(0.5);
    // Moved by three: a change.
    const e = await png(
      'moved-3.png',
      256,
      256,
      pixels(256, 256, (x, y) => photo(x + 3, y)),
    );
    expect(await changed(c, e)).toBeGreaterThan(2);
  });

  it('counts what was removed as what was added, down to a line one pixel wide at the review size', async () => {
    // Dark strokes on the textured photo: 3 px lines at 1024 px (under a pixel at 256), and a block of "text".
    const ink = (x: number, y: number): boolean =>
      (y % 64 < 3 && y > 64) || (x > 300 && x < 700 && y > 450 && y < 500 && x % 12 < 5);
    const inked = (x: number, y: number): [number, number, number] => (ink(x, y) ? [20, 20, 30] : smooth(x, y));
    const bare = await png('bare.png', 1024, 1024, pixels(1024, 1024, smooth));
    const marked = await png('marked.png', 1024, 1024, pixels(1024, 1024, inked));
    const added = await changed(bare, marked);
    const removed = await changed(marked, bare);
    expect(added).toBeGreaterThan(4);
    // The forward rule alone (cie76-lab-3) read the removal as ~0: the background is a blend of ink and background.
    expect(removed).toBeGreaterThan(0.8 * added);
    const moved = await png(
      'marked-moved.png',
      1024,
      1024,
      pixels(1024, 1024, (x, y) => inked(x + 1, y + 1)),
    );
    // A move of that picture by one pixel (a quarter at the review size, diagonally) is still next to no change:
    // the strokes, under a pixel wide there, spread a little differently over their pixels (~1 %).
    expect(await changed(marked, moved)).toBeLessThan(2);
  });

  it('a one-pixel move of an object on a transparent output is no change either (compared as flattened)', async () => {
    const disc = (x: number, y: number, dx: number): boolean => (x - 128 - dx) ** 2 + (y - 128) ** 2 < 40 ** 2;
    const rgba = (dx: number, clear: boolean): Buffer => {
      const buf = Buffer.alloc(256 * 256 * 4);
      for (let y = 0; y < 256; y++)
        for (let x = 0; x < 256; x++) {
          const on = disc(x, y, dx);
          buf.set(on ? [20, 20, 20, 255] : [255, 255, 255, clear ? 0 : 255], 4 * (y * 256 + x));
        }
      return buf;
    };
    const write = async (name: string, dx: number, clear: boolean): Promise<string> => {
      const path = join(dir, name);
      await sharp(rgba(dx, clear), { raw: { width: 256, height: 256, channels: 4 } })
        .png()
        .toFile(path);
      return path;
    };
    const input = await write('disc.png', 0, false);
    expect(await changed(input, await write('disc-moved-opaque.png', 1, false))).toBe(0);
    // cie76-lab-4 as first written skipped the output's transparent neighbours backward: 0.7 % here.
    expect(await changed(input, await write('disc-moved-clear.png', 1, true))).toBe(0);
  });

  it('counts a strong global colour shift as (nearly) everything changed', async () => {
    const a = await png('shift-a.png', 256, 256, pixels(256, 256, photo));
    const b = await png(
      'shift-b.png',
      256,
      256,
      pixels(256, 256, (x, y) => {
        const [r, g, bl] = photo(x, y);
        return [Math.min(255, r + 40), g, Math.max(0, bl - 40)];
      }),
    );
    expect(await changed(a, b)).toBeGreaterThan(95);
  });

  it('ignores tiny noise and JPEG recompression (~0%)', async () => {
    let seed = 7;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const base = pixels(512, 512, smooth);
    const noisy = Buffer.from(base.map((v) => Math.max(0, Math.min(255, v + Math.round((rand() - 0.5) * 12)))));
    const a = await png('clean.png', 512, 512, base);
    const b = await png('noisy.png', 512, 512, noisy);
    expect(await changed(a, b)).toBeLessThan(0.5);
    const jpeg = join(dir, 'recompressed.jpg');
    await sharp(base, { raw: { width: 512, height: 512, channels: 3 } })
      .jpeg({ quality: 80 })
      .toFile(jpeg);
    expect(await changed(a, jpeg)).toBeLessThan(0.5);
  });

  it('compares inputs of another size and aspect ratio at the output aspect (centre crop, not stretch)', async () => {
    // The output is the centre 512 x 512 of a 1024 x 512 input, at half the size: nothing changed.
    const wide = pixels(1024, 512, photo);
    const input = await png('wide.png', 1024, 512, wide);
    const centre = await sharp(wide, { raw: { width: 1024, height: 512, channels: 3 } })
      .extract({ left: 256, top: 0, width: 512, height: 512 })
      .resize(256, 256)
      .png()
      .toBuffer();
    const output = join(dir, 'centre.png');
    await writeFile(output, centre);
    const box = { width: 256, height: 256 };
    expect(await changed(input, output, box)).toBeLessThan(1);
    // A smaller input than the output (the same picture at a quarter of the size) is scaled up to the same box.
    const big = await png('big.png', 512, 512, pixels(512, 512, smooth));
    const small = join(dir, 'small.png');
    await sharp(big).resize(128, 128).png().toFile(small);
    expect(await changed(small, big)).toBeLessThan(1);
  });

  it('sizes the review box from the output: longest side 256, never enlarged', async () => {
    const size = async (w: number, h: number): Promise<[number, number]> => {
      const lab = await labInside(await png(`size-${w}x${h}.png`, w, h, pixels(w, h, photo)));
      expect(lab.lab.length).toBe(lab.width * lab.height * 3);
      return [lab.width, lab.height];
    };
    expect(await size(1024, 768)).toEqual([256, 192]);
    expect(await size(768, 1024)).toEqual([192, 256]);
    expect(await size(300, 200)).toEqual([256, 171]);
    expect(await size(100, 50)).toEqual([100, 50]);
    expect(await size(2000, 3)).toEqual([256, 1]);
  });
});
