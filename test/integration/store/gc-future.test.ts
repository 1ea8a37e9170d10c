/**
 * Cache entries whose mtime is in the future (walk-d 5: a cache copied from a machine whose clock
 * ran ahead, `touch -d 2030`): gc took them as used in the last minutes for ever, so neither
 * `--older-than` nor `--max-size` ever pruned them, and said they were in use. Now they are not
 * in use, `--max-size` prunes them like any other, what gc keeps of them is dated back so it ages
 * from now, and a cache hit dates such a record back to now (the claim then sees the hit). The
 * markers of written outputs (`--older-than` prunes them too) are dated back as well.
 */
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { gcStore } from '../../../src/store/gc.js';
import { writtenDirOf } from '../../../src/store/written.js';
import { testRuntime } from '../../helpers/run-fixtures.js';
import { age, DAY, exists, gc, lockOn, noDanglingRecords, now, put, rig, snapshot, useGcRig } from './gc-rig.js';

useGcRig();

const YEARS_AHEAD = -3 * 365 * DAY;

describe('gc: entries dated in the future', () => {
  it('are not in use: --max-size prunes them, least recently used first', async () => {
    const a = await put('a', 600);
    const b = await put('b', 600);
    await age([a.recordPath, a.blobPath, b.recordPath, b.blobPath], YEARS_AHEAD);
    await lockOn({});
    const report = await gc({ olderThanMs: 30 * DAY, maxBytes: 1000 });
    expect(report.inUse).toBe(0);
    expect(report.futureDated).toBe(4);
    expect(report.overLimit).toBe(false);
    expect(report.removed.records).toBeGreaterThanOrEqual(1);
    await noDanglingRecords();
  });

  it('--older-than keeps them, dated back on disk (not by a dry run): they go once that age has passed', async () => {
    const e = await put('f', 100);
    await age([e.recordPath, e.blobPath], YEARS_AHEAD);
    await lockOn({});
    const before = await snapshot();
    const dry = await gc({ olderThanMs: 30 * DAY, dryRun: true });
    expect(await snapshot()).toEqual(before);
    expect(dry).toMatchObject({ inUse: 0, futureDated: 2, removed: { records: 0, blobs: 0 } });
    const kept = await gc({ olderThanMs: 30 * DAY });
    expect(kept).toMatchObject({ inUse: 0, futureDated: 2, removed: { records: 0, blobs: 0 } });
    for (const p of [e.recordPath, e.blobPath]) expect((await stat(p)).mtimeMs).toBeLessThanOrEqual(now);
    // Dated to now (not before the in-use window: a hit dating one to now meanwhile keeps its mark),
    // so a gc right after finds the record used just now, no longer dated in the future.
    const soon = await gc({ olderThanMs: 30 * DAY });
    expect(soon).toMatchObject({ inUse: 1, futureDated: 0, removed: { records: 0, blobs: 0 } });
    const later = await gcStore(rig.store.root, {
      lockFiles: [rig.lockFile],
      now: () => now + 31 * DAY,
      olderThanMs: 30 * DAY,
    });
    expect(later.removed).toMatchObject({ records: 1, blobs: 1 });
    for (const p of [e.recordPath, e.blobPath]) expect(await exists(p)).toBe(false);
  });

  it('a blob no record names yet, dated in the future, is kept as a download may be (server clock)', async () => {
    const e = await put('g', 100);
    await unlink(e.recordPath); // a run between its blob and its record
    await age([e.blobPath], -5 * 60_000); // 5 min ahead
    await lockOn({});
    const r = await gc({ maxBytes: 0 });
    expect(r.removed).toMatchObject({ blobs: 0 });
    expect(await exists(e.blobPath)).toBe(true);
  });

  it('markers of written outputs dated in the future age from now (not by a dry run)', async () => {
    const file = join(rig.dir, 'out.png');
    rig.store.written.note(file, 'a'.repeat(64));
    await rig.store.written.settled();
    const [marker] = (await readdir(writtenDirOf(rig.store.root), { recursive: true, withFileTypes: true }))
      .filter((d) => d.isFile())
      .map((d) => join(d.parentPath, d.name));
    await age([marker as string], YEARS_AHEAD);
    await lockOn({});
    expect((await gc({ olderThanMs: 30 * DAY, dryRun: true })).oldMarkers).toBe(0);
    expect((await stat(marker as string)).mtimeMs).toBeGreaterThan(now);
    expect((await gc({ olderThanMs: 30 * DAY })).oldMarkers).toBe(0);
    expect(Math.abs((await stat(marker as string)).mtimeMs - now)).toBeLessThan(1000);
    const later = await gcStore(rig.store.root, {
      lockFiles: [rig.lockFile],
      now: () => now + 31 * DAY,
      olderThanMs: 30 * DAY,
    });
    expect(later.oldMarkers).toBe(1);
    expect(rig.store.written.has(file, 'a'.repeat(64))).toBe(false);
  });

  it('a cache hit dates the record back to now', async () => {
    const e = await put('hit', 100);
    await age([e.recordPath], YEARS_AHEAD);
    expect(await rig.store.getRecord(e.key)).not.toBeNull();
    expect((await stat(e.recordPath)).mtimeMs).toBeLessThan(Date.now() + 1000);
  });

  it('kontext gc says so, and not that they are in use', async () => {
    const e = await put('cli', 2000);
    await age([e.recordPath, e.blobPath], YEARS_AHEAD);
    await lockOn({});
    const rt = testRuntime(rig.dir);
    const code = await main(['gc', '--older-than', '30d', '--max-size', '1kB', '--cache-dir', rig.store.root], { rt });
    expect(code).toBe(0);
    const out = rt.stdout.text();
    expect(out).toContain('gc: removed 1 record and 1 blob');
    expect(out).toContain('2 entries dated in the future (a clock ahead?): not taken as in use');
    expect(out).not.toContain('used in the last');
  });
});
