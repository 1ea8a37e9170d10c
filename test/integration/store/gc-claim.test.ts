/**
 * gc's claim of a run record (store/gc-claim.ts) against a cache hit on a real cache dir: a
 * record whose mtime a hit moved before the claim is put back (never over a record written anew
 * meanwhile), and a hit that meets the claim waits for gc's decision instead of taking a miss
 * (which would pay for a result that stays), or misses once gc removed it. Set-up: gc-rig.ts.
 */
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { claimPathOf, restoreClaim, unlinkClaimed } from '../../../src/store/gc-claim.js';
import { gcStore } from '../../../src/store/gc.js';
import { age, DAY, exists, put as putRecord, rig, useGcRig } from './gc-rig.js';

useGcRig();

/** A record with its blob, last used 40 days ago; returns its key and path. */
async function put(name: string): Promise<{ key: string; path: string; mtimeMs: number }> {
  const { key, recordPath: path } = await putRecord(name, 100);
  await age([path], 40 * DAY);
  return { key, path, mtimeMs: (await stat(path)).mtimeMs };
}

describe("gc's claim of a record", () => {
  it('removes an unmoved record; puts back one a hit marked before the claim', async () => {
    const unused = await put('unused');
    expect(await unlinkClaimed(unused.path, unused.mtimeMs)).toBe(true);
    expect(await exists(unused.path)).toBe(false);
    expect(await exists(claimPathOf(unused.path))).toBe(false);

    const used = await put('used');
    expect(await rig.store.getRecord(used.key)).not.toBeNull(); // the hit marks it used
    expect(await unlinkClaimed(used.path, used.mtimeMs)).toBe(false);
    expect(await exists(used.path)).toBe(true);
    expect(await exists(claimPathOf(used.path))).toBe(false);
  });

  it('a record written anew while claimed is kept, not overwritten by the claim', async () => {
    const e = await put('anew');
    await rename(e.path, claimPathOf(e.path));
    await writeFile(e.path, '{"newer": true}');
    await restoreClaim(claimPathOf(e.path));
    expect(await readFile(e.path, 'utf8')).toBe('{"newer": true}');
    expect(await exists(claimPathOf(e.path))).toBe(false);
  });

  it('a hit meeting a claim waits for the decision: the record put back is a hit, one removed a miss', async () => {
    const kept = await put('kept');
    await rename(kept.path, claimPathOf(kept.path));
    const hit = rig.store.getRecord(kept.key);
    await new Promise((r) => setTimeout(r, 100));
    await restoreClaim(claimPathOf(kept.path));
    expect((await hit)?.key).toBe(kept.key);

    const gone = await put('gone');
    await rename(gone.path, claimPathOf(gone.path));
    const miss = rig.store.getRecord(gone.key);
    await new Promise((r) => setTimeout(r, 100));
    await rm(claimPathOf(gone.path));
    expect(await miss).toBeNull();
  });

  it('a claim left by a gc killed while deciding is taken back by the hit: a hit, not a miss that pays', async () => {
    const e = await put('killed');
    await rename(e.path, claimPathOf(e.path)); // gc's claim; gc is then gone
    const t0 = Date.now();
    expect((await rig.store.getRecord(e.key))?.key).toBe(e.key);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900); // it waited for gc's decision first
    expect(await exists(e.path)).toBe(true);
    expect(await exists(claimPathOf(e.path))).toBe(false);
    expect((await stat(e.path)).mtimeMs).toBeGreaterThan(e.mtimeMs); // marked used: the next gc keeps it
  });

  it('a claim left by a gc that died deciding is put back by the next gc, which then decides itself', async () => {
    const e = await put('left');
    await rename(e.path, claimPathOf(e.path));
    const report = await gcStore(rig.store.root, { lockFiles: [], olderThanMs: 30 * DAY, now: Date.now, dryRun: true });
    expect(await exists(claimPathOf(e.path))).toBe(true); // a dry run changes nothing
    expect(report.removed.records).toBe(0);
    const real = await gcStore(rig.store.root, { lockFiles: [], olderThanMs: 30 * DAY, now: Date.now });
    expect(await exists(claimPathOf(e.path))).toBe(false);
    expect(real.removed.records).toBe(1); // 40 days unused: it goes (its blob, new, by its own age)
  });
});
