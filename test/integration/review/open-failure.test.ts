/**
 * A change map the review could not make because the image could not be opened (the process out
 * of file descriptors, EMFILE) was said to be of an output that "cannot be decoded (damaged,
 * truncated or not an image: Input file contains unsupported image format)": libvips says that
 * of a file it could not open. The review now says the real cause. The child process runs with a
 * low descriptor limit and uses them all up, then asks the real decoder for a whole PNG.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/run-fixtures.js';
import { pngHolding } from '../../helpers/test-images.js';

const SCRIPT = `
import { closeSync, openSync } from 'node:fs';
const { rgbInside, whyUndecodable } = await import('./src/review/images.ts');
const png = process.argv[1];
await rgbInside(png, 64); // sharp loaded, the file decodes
const fds = [];
try { for (;;) fds.push(openSync('/dev/null', 'r')); } catch {}
let out;
try { await rgbInside(png, 64); out = 'decoded'; } catch (e) { out = await whyUndecodable(png, e); }
for (const fd of fds) closeSync(fd);
console.log(out);
`;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-emfile-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('an image the review cannot open', () => {
  it('says it cannot be opened (too many open files), not that it is damaged', async () => {
    const png = join(dir, 'out.png');
    await writeFile(png, pngHolding('', 32, 24));
    const { stdout } = await promisify(execFile)(
      'bash',
      ['-c', 'ulimit -n 256 && exec "$0" --import tsx --input-type=module -e "$1" "$2"', process.execPath, SCRIPT, png],
      { cwd: REPO_ROOT },
    );
    expect(stdout.trim()).toBe('cannot be opened (too many open files, EMFILE)');
  });
});
