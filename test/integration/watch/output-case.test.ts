/**
 * Watch mode's output watcher (real chokidar, real folders) when the file the lock names
 * `Photo.png` is `photo.png` on disk: a source renamed in case only on macOS, Windows or an
 * exFAT disk (a real one here, helpers/exfat-disk.ts; skipped, saying why, where none can be
 * mounted). Its removal is reported under the disk's name, which matched nothing the lock
 * names: the output stayed gone until the next run. On ext4 the two names are two files.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OutputWatcher } from '../../../src/watch/output-watcher.js';
import { type ExfatDisk, mountExfat } from '../../helpers/exfat-disk.js';
import { until } from '../../helpers/run-fixtures.js';

let disk: ExfatDisk | string = 'not mounted yet';
const dirs: string[] = [];
let watcher: OutputWatcher | undefined;
beforeAll(async () => {
  disk = await mountExfat(16);
}, 60_000);
afterEach(async () => {
  await watcher?.close();
  watcher = undefined;
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
afterAll(async () => {
  if (typeof disk === 'string') process.stderr.write(`output-case.test.ts: exFAT case SKIPPED: ${disk}\n`);
  else await disk.unmount();
});

/** `out/r/tint/<name>` for each name on disk; the watcher following the lock's `Photo.png`. */
async function watching(base: string, onDisk: readonly string[]): Promise<{ gone: string[][]; outDir: string }> {
  const outDir = join(base, 'out', 'r');
  await mkdir(join(outDir, 'tint'), { recursive: true });
  for (const name of onDisk) await writeFile(join(outDir, 'tint', name), 'made by kontext');
  const gone: string[][] = [];
  watcher = new OutputWatcher({ onGone: (paths) => gone.push([...paths]), onError: (e) => gone.push([String(e)]) }, 50);
  await watcher.follow({ outDir, files: [join(outDir, 'tint', 'Photo.png')], sha256: new Map() });
  return { gone, outDir };
}

describe('the output watcher and names compared without case', () => {
  it("exFAT: the lock's Photo.png removed as photo.png is reported gone, by the lock's name", async (t) => {
    if (typeof disk === 'string') return t.skip();
    const base = join(disk.dir, 'watched');
    dirs.push(base);
    const { gone, outDir } = await watching(base, ['photo.png']);
    await rm(join(outDir, 'tint', 'photo.png'));
    await until(() => gone.length > 0, 10_000, 'the removal reported');
    expect(gone).toEqual([[join(outDir, 'tint', 'Photo.png')]]);
  });

  it("ext4: another file photo.png removed beside the lock's Photo.png is nothing gone", async () => {
    const base = await mkdtemp(join(tmpdir(), 'kontext-output-case-'));
    dirs.push(base);
    const { gone, outDir } = await watching(base, ['Photo.png', 'photo.png']);
    await rm(join(outDir, 'tint', 'photo.png'));
    await new Promise((r) => setTimeout(r, 1000));
    expect(gone).toEqual([]);
    await rm(join(outDir, 'tint', 'Photo.png'));
    await until(() => gone.length > 0, 10_000, 'the removal reported');
    expect(gone).toEqual([[join(outDir, 'tint', 'Photo.png')]]);
  });
});
