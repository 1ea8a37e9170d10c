/**
 * `clean-scan.ts` on real folders: what the walk finds is re-checked before the unlink, so a
 * folder swapped for a symlink after the walk leads nowhere; an out folder reached through a
 * symlinked parent outside the project has nothing removable, whatever its files are.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, realpath, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CleanScope, scanOutDir } from '../../../src/run/clean-scan.js';
import { buildWriteGuard } from '../../../src/store/write-guard.js';
import { type ExfatDisk, mountExfat } from '../../helpers/exfat-disk.js';

let root: string;
let outside: string;
beforeEach(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'kontext-clean-scan-')));
  outside = await realpath(await mkdtemp(join(tmpdir(), 'kontext-clean-outside-')));
  await mkdir(join(root, '.git'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

/** The sha256 of the test's kontext-made files, `made by kontext`: a dropped entry's own bytes. */
const MADE = createHash('sha256').update('made by kontext').digest('hex');

/** Every layout-shaped file counts as kontext's bytes: only the paths decide. */
async function scopeFor(outDir: string, more: Partial<CleanScope> = {}, project = root): Promise<CleanScope> {
  return {
    outDir,
    claimed: new Set(),
    currentStems: new Set(),
    orphanOutputs: new Map(),
    knownBytes: async () => true,
    guard: await buildWriteGuard({ projectRoot: project, allowOutsideRoot: false, protectedFiles: [] }),
    now: Date.now(),
    ...more,
  };
}

/**
 * A source renamed `Photo.jpg` → `photo.jpg`: the lock's entry `tint@Photo` (output
 * `tint/Photo.png`) is dropped, the node `tint@photo` writes `tint/photo.png`.
 */
async function renamedSource(project: string, files: readonly string[]): Promise<CleanScope> {
  const outDir = join(project, 'out', 'r');
  await mkdir(join(outDir, 'tint'), { recursive: true });
  for (const f of files) await writeFile(join(outDir, 'tint', f), 'made by kontext');
  const current = join(outDir, 'tint', 'photo.png');
  return scopeFor(outDir, { claimed: new Set([current]), currentStems: new Set([current.slice(0, -4)]) }, project).then(
    (scope) => ({ ...scope, orphanOutputs: new Map([[join(outDir, 'tint', 'Photo.png'), new Set([MADE])]]) }),
  );
}

describe('scanOutDir', () => {
  it('a folder swapped for a symlink after the walk: the file is no longer in out/', async () => {
    const outDir = join(root, 'out');
    await mkdir(join(outDir, 'old'), { recursive: true });
    await writeFile(join(outDir, 'old', 'photo.png'), 'made by kontext');
    await writeFile(join(outside, 'photo.png'), 'not in the project');
    const scan = await scanOutDir(await scopeFor(outDir));
    const file = join(outDir, 'old', 'photo.png');
    expect(scan.files).toEqual([file]);
    expect(await scan.stillInOut(file)).toBe(true);
    await rename(join(outDir, 'old'), join(outDir, 'moved'));
    await symlink(outside, join(outDir, 'old'));
    expect(await scan.stillInOut(file)).toBe(false);
    // A link inside out/ to another folder of out/ is refused as well: the path is not where it was found.
    await rm(join(outDir, 'old'));
    await symlink(join(outDir, 'moved'), join(outDir, 'old'));
    expect(await scan.stillInOut(file)).toBe(false);
  });

  it('an out folder whose parent links outside the project: everything kept', async () => {
    await mkdir(join(outside, 'out', 'old'), { recursive: true });
    await writeFile(join(outside, 'out', 'old', 'photo.png'), 'someone else');
    await symlink(outside, join(root, 'elsewhere'));
    const outDir = join(root, 'elsewhere', 'out');
    const scan = await scanOutDir(await scopeFor(outDir));
    expect(scan.files).toEqual([]);
    expect(scan.kept).toEqual([join(outDir, 'old', 'photo.png')]);
  });

  it("a dropped entry's output named as a current one in another case: here two files, it goes", async () => {
    const scope = await renamedSource(root, ['Photo.png', 'photo.png']);
    expect((await scanOutDir(scope)).files).toEqual([join(scope.outDir, 'tint', 'Photo.png')]);
  });
});

describe('scanOutDir on a disk that compares names without case (exFAT)', () => {
  let disk: ExfatDisk | string = 'not mounted yet';
  beforeAll(async () => {
    disk = await mountExfat(16);
  }, 60_000);
  afterAll(async () => {
    if (typeof disk === 'string') process.stderr.write(`clean-scan.test.ts: exFAT case SKIPPED: ${disk}\n`);
    else await disk.unmount();
  });

  // The file the dropped entry names is the current node's output there (one file, kept under
  // its old spelling): clean removed it, and status listed it as an orphan.
  it("a dropped entry's output that is a current output under another case is kept", async (t) => {
    if (typeof disk === 'string') return t.skip();
    const project = join(disk.dir, 'renamed');
    await mkdir(join(project, '.git'), { recursive: true });
    const scope = await renamedSource(project, ['Photo.png']);
    const scan = await scanOutDir(scope);
    expect(scan.files).toEqual([]);
    expect(scan.kept).toEqual([]);
  });
});
