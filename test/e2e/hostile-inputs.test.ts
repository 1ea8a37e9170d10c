/**
 * Inputs that must not reach the API, end to end through the BUILT CLI against a standalone
 * emulator whose request log counts paid submits: a source that is not a whole image (cut short,
 * a header declaring a decompression bomb, a PNG garbled in the middle or whose data does not
 * inflate) is refused before the
 * first request, by the run and by its dry run (exit 65, one line naming the file at the source's
 * `recipe.yml:line:col`); an inline
 * input the API cannot read is paid for once, not re-sent; an inline input over RunComfy's cap
 * never leaves (preflight: exit 65 with its size and the cap).
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli-spawn.js';
import { project, runcomfyEnv, submits, tempDir, useEmulator } from '../helpers/e2e-kit.js';
import { pngChunk } from '../../src/util/png-write.js';
import { bombPng, damagedPng, jpegHolding, pngHolding, truncatedPng } from '../helpers/test-images.js';

const emulator = useEmulator();

const recipe = (source: string): string => `version: 1
name: hostile
provider: runcomfy
hosting: { mode: inline }
sources:
  photo: assets/${source}
passes:
  - id: tint
    prompt: "Tint the whole image blue"
`;

/** A project whose one source is `bytes`, and the CLI's runs in it with the submits each paid for. */
async function projectWith(name: string, bytes: Buffer) {
  const root = await project(recipe(name));
  await writeFile(join(root, 'assets', name), bytes);
  const env = runcomfyEnv(emulator(), await tempDir('home'));
  return async (...args: string[]) => {
    const before = submits(emulator());
    const r = await cli(['run', 'recipe.yml', ...args], { cwd: root, env });
    return { ...r, paid: submits(emulator()) - before, lines: r.stderr.trim().split('\n') };
  };
}

/** An 8x8 PNG whose one IDAT chunk holds text, not zlib data, under a right CRC-32. */
function garbledPng(): Buffer {
  const png = pngHolding('x', 8, 8);
  return Buffer.concat([
    png.subarray(0, 33),
    pngChunk('IDAT', Buffer.from('not pixels')),
    png.subarray(png.length - 12),
  ]);
}

describe('a source that is not a whole image', () => {
  it.each([
    ['cut.png', truncatedPng(), /not a whole image \(PNG: does not end with an IEND chunk/],
    ['bomb.png', bombPng(40_000), /declares 40000x40000 pixels \(1600 MP\)/],
    [
      'damaged.png',
      damagedPng().bytes,
      new RegExp(`not a whole image \\(PNG: the IDAT chunk at byte ${damagedPng().idatAt} fails its CRC-32 check\\)`),
    ],
    // Whole by its header, its chunks' CRCs and its end, but its pixel data is not zlib (walk-p 6).
    [
      'garbled.png',
      garbledPng(),
      /not a whole image \(PNG: the image data cannot be decompressed \(zlib: incorrect header check\)\)/,
    ],
  ])('%s: run and --dry-run exit 65 with one line naming it; nothing is paid', async (name, bytes, says) => {
    const run = await projectWith(name, bytes);
    for (const args of [[], ['--dry-run']]) {
      const r = await run(...args);
      expect(r.code, r.stderr).toBe(65);
      expect(r.paid).toBe(0);
      const refusal = r.lines.filter((l) => l.includes('refusing to host'));
      expect(refusal).toHaveLength(1);
      expect(refusal[0]).toContain(join('assets', name));
      expect(refusal[0]).toMatch(says);
      // At the source's line:col, as a source that is not an image at all is reported.
      expect(refusal[0]).toMatch(/^kontext: recipe\.yml:6:10: sources\.photo: refusing to host /);
    }
    expect((await run()).lines).toHaveLength(1);
  });
});

describe('inline inputs', () => {
  it('one the API cannot read is paid for once: a data URI is not "hosted again" and re-sent', async () => {
    // A JPEG whole by its markers (so hosting sends it), but with no scan data: the API fails on
    // it. JPEG carries no checksum of its data, so no check before the submit can tell.
    const run = await projectWith('scanless.jpg', jpegHolding('x', 8, 8));
    const r = await run();
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/not a supported image/);
    expect(r.stderr).not.toMatch(/hosting it again/);
    expect(r.paid).toBe(1);
  });

  it('one over RunComfy’s 6 MiB inline cap never leaves: exit 65 with its size and the cap', async () => {
    const run = await projectWith('huge.png', pngHolding(randomBytes(30_000_000)));
    const r = await run();
    expect(r.code, r.stderr).toBe(65);
    expect(r.paid).toBe(0);
    expect(r.stderr).toMatch(/huge\.png: the input image is 28\.6 MiB inline, over the 6 MiB runcomfy accepts/);
  });
});
