/**
 * Outputs are verified on the way in (a downloaded body must be an image) and on the way out
 * (a cached blob must still hash to its name): an HTML page never lands in out/ or the cache,
 * and a blob with flipped bytes is dropped with a warning and fetched again, never copied out.
 */
import { open, readdir, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createProject,
  eventsOf,
  recipeYaml,
  runIn,
  sha256File,
  startRig,
  summaryOf,
  type Project,
  type Rig,
} from '../../helpers/run-fixtures.js';

const BG = 'Keep the face unchanged. Replace the background with a rainy street.';

let project: Project | undefined;
let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  await project?.cleanup();
  rig = undefined;
  project = undefined;
});

async function blobFiles(cacheDir: string): Promise<string[]> {
  const dir = join(cacheDir, 'blobs');
  const out: string[] = [];
  for (const sub of await readdir(dir).catch(() => [])) out.push(...(await readdir(join(dir, sub))));
  return out;
}

/** Flip one byte in place; with `keepMtime`, put the mtime back (size and mtime then look unchanged). */
async function flipByte(path: string, keepMtime: boolean): Promise<void> {
  const before = await stat(path);
  const handle = await open(path, 'r+');
  try {
    const buf = Buffer.alloc(1);
    await handle.read(buf, 0, 1, 100);
    buf[0] = (buf[0] ?? 0) ^ 0xff;
    await handle.write(buf, 0, 1, 100);
  } finally {
    await handle.close();
  }
  if (keepMtime) await utimes(path, before.atime, before.mtime);
}

describe('outputs are verified', () => {
  it('an HTML page served with a 200 fails the node (exit 65): nothing in out/ or the cache', async () => {
    project = await createProject(recipeYaml([['background', BG]]));
    rig = await startRig({ scenario: { faults: [{ kind: 'html-download' }] } });
    const run = await runIn(project, {}, { rig });
    expect(summaryOf(run)).toMatchObject({ done: 0, failed: 1, exitCode: 65 });
    const failed = eventsOf(run.events, 'node-failed')[0];
    expect(JSON.stringify(failed)).toMatch(/HTML page/);
    expect(await project.outFiles().catch(() => [])).toEqual([]);
    expect(await blobFiles(project.cacheDir)).toEqual([]);
  });

  it.each([
    ['with a new mtime: caught by the cache look-up', false],
    ['with size and mtime put back: caught when copied out', true],
  ])('a cached blob with a flipped byte (%s) is dropped, warned about, fetched again', async (_what, keepMtime) => {
    project = await createProject(recipeYaml([['background', BG]]));
    rig = await startRig();
    expect(summaryOf(await runIn(project, {}, { rig }))).toMatchObject({ done: 1, exitCode: 0 });
    const entry = (await project.readLock()).nodes['background']!;
    const blob = join(project.cacheDir, 'blobs', entry.output_sha256.slice(0, 2), entry.output_sha256);
    // An old mtime, so the next run remembers the blob's hash in the memo by size/mtime/inode: it
    // restores the deleted output from the cache (a node the lock alone proves current would not
    // look at the blob at all, run/lock-current.ts).
    const old = new Date(Date.now() - 3_600_000);
    await utimes(blob, old, old);
    await rm(join(project.root, entry.output));
    expect(summaryOf(await runIn(project, {}, { rig }))).toMatchObject({ cached: 1, exitCode: 0 });
    // Put back the mtime the memo remembers, so only the flipped byte differs.
    await utimes(blob, old, old);
    await flipByte(blob, keepMtime);
    await rm(join(project.root, entry.output));
    const submits = rig.submits().length;
    const run = await runIn(project, {}, { rig });
    expect(summaryOf(run)).toMatchObject({ done: 1, cached: 0, exitCode: 0 });
    const warnings = eventsOf(run.events, 'warning').filter((w) => /damaged/.test(w.message));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toMatch(/runs again/);
    // The look-up's warning cannot know the node's fate; the copy-out check's can.
    if (!keepMtime) expect(warnings[0]!.message).toMatch(/unless its lock entry and output file prove it current/);
    // The copy-out check names the node; the cache look-up (before the run) does not.
    expect(warnings[0]!.node).toBe(keepMtime ? 'background' : undefined);
    expect(rig.submits().length).toBe(submits + 1);
    expect(await sha256File(join(project.root, entry.output))).toBe(entry.output_sha256);
    expect(await sha256File(blob)).toBe(entry.output_sha256);
  });
});
