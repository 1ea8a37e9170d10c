/** sniffImageFile reads a file's first bytes; a FIFO named like an image reads as none, at once. */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sniffImageFile } from '../../../src/util/sniff-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-sniff-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sniffImageFile', () => {
  it('names a PNG, and gives null for text, a missing file and a FIFO (without waiting for a writer)', async () => {
    await writeFile(join(dir, 'a.png'), Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
    await writeFile(join(dir, 'b.png'), 'not an image');
    execFileSync('mkfifo', [join(dir, 'pipe.png')]);
    const kinds = await Promise.all(
      ['a.png', 'b.png', 'missing.png', 'pipe.png'].map((f) => sniffImageFile(join(dir, f))),
    );
    expect(kinds).toEqual(['png', null, null, null]);
  });
});
