/**
 * `kontext gc` and the source-hash memo files (`<cache>/sources/<32 hex>.json`, one per folder of
 * sources): a memo of a folder that is gone goes, one of a folder that exists stays unchanged; a memo
 * no run reads (torn, no folder, foreign) goes once a day old (a younger one may be mid-write); a dry
 * run only counts them.
 */
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoFileOf } from '../../../src/store/source-hash.js';
import { age, DAY, exists, gc, rig, sha, snapshot, useGcRig } from './gc-rig.js';

useGcRig();

describe('gcStore: source-hash memo files', () => {
  /** One memo file per folder, written by the store's own memo: a two-day-old file in each, hashed and flushed. */
  async function memosOf(folders: readonly string[]): Promise<string[]> {
    for (const folder of folders) {
      await mkdir(folder, { recursive: true });
      const file = join(folder, 'a.png');
      await writeFile(file, folder);
      await age([file], 2 * DAY); // outside the memo's racy-mtime window, so it is remembered
      await rig.store.hashSource(file);
    }
    await rig.store.flush();
    const memos = folders.map((f) => memoFileOf(rig.store.root, f));
    for (const m of memos) expect(await exists(m), m).toBe(true);
    return memos;
  }

  const sizes = async (paths: readonly string[]): Promise<number> => {
    let n = 0;
    for (const p of paths) n += (await stat(p)).size;
    return n;
  };

  /** A file with a memo's name (`<32 hex>.json`) in `sources/`, `ageMs` old. */
  async function memoNamed(seed: string, text: string, ageMs: number): Promise<string> {
    const path = join(rig.store.root, 'sources', `${sha(seed).slice(0, 32)}.json`);
    await mkdir(join(rig.store.root, 'sources'), { recursive: true });
    await writeFile(path, text);
    await age([path], ageMs);
    return path;
  }

  it('removes the memos of folders that are gone; keeps, unchanged, those of folders that exist', async () => {
    const photos = join(rig.dir, 'project', 'photos');
    const tempOut = join(rig.dir, 'temp-project', 'out', 'pass');
    const underAFile = join(rig.dir, 'was-a-folder', 'sub');
    const nowAFile = join(rig.dir, 'was-a-folder');
    const [kept, ...gone] = await memosOf([photos, tempOut, underAFile, nowAFile]);
    await rm(join(rig.dir, 'temp-project'), { recursive: true });
    await rm(nowAFile, { recursive: true });
    await writeFile(nowAFile, 'a file now'); // its own memo's folder is not a folder; `sub` is ENOTDIR
    const keptBefore = `${await readFile(kept as string, 'utf8')} ${(await stat(kept as string)).mtimeMs}`;
    const bytes = await sizes(gone);

    const report = await gc({ olderThanMs: 30 * DAY, lockFiles: [] });

    expect(report.staleMemos).toEqual({ files: 3, bytes });
    for (const m of gone) expect(await exists(m), m).toBe(false);
    expect(`${await readFile(kept as string, 'utf8')} ${(await stat(kept as string)).mtimeMs}`).toBe(keptBefore);
    // The limits do not apply to memos, and they are not in the tallies.
    expect(report.removed).toEqual({ records: 0, blobs: 0, bytes: 0 });
    // A second gc, with a size limit this time, finds nothing more to remove.
    expect((await gc({ maxBytes: 0, lockFiles: [] })).staleMemos).toEqual({ files: 0, bytes: 0 });
    expect(await exists(kept as string)).toBe(true);
  });

  it('removes a memo no run reads (torn, no folder, foreign) a day old; a younger one may be mid-write', async () => {
    const folder = join(rig.dir, 'exists');
    await mkdir(folder);
    const body = (f: unknown) => JSON.stringify({ version: 2, folder: f, entries: {} });
    const old = [
      await memoNamed('torn', '{"version":2,"folder":"/x","entr', 2 * DAY),
      await memoNamed('no folder', '{"version":2,"entries":{}}', 2 * DAY),
      await memoNamed('relative', body('project/out'), 2 * DAY),
      await memoNamed('not json at all', '\u0000\u0001', 2 * DAY),
      // An existing folder, but not under the name its memo would have: never read.
      await memoNamed('wrong name', body(folder), 2 * DAY),
    ];
    const young = [
      await memoNamed('young torn', '{"version":2,"fol', DAY / 2),
      await memoNamed('young foreign', body(folder), DAY / 2),
    ];
    const notAMemoName = join(rig.store.root, 'sources', 'notes.json');
    await writeFile(notAMemoName, 'not json');
    await age([notAMemoName], 2 * DAY);
    // A valid memo of a folder that exists stays however old it is.
    const [valid] = await memosOf([folder]);
    await age([valid as string], 400 * DAY);
    const bytes = await sizes(old);

    const report = await gc({ olderThanMs: 30 * DAY, lockFiles: [] });

    expect(report.staleMemos).toEqual({ files: old.length, bytes });
    for (const p of old) expect(await exists(p), p).toBe(false);
    for (const p of [...young, notAMemoName, valid as string]) expect(await exists(p), p).toBe(true);
  });

  it('--dry-run counts the memo files that would go and removes nothing', async () => {
    const gone = await memosOf([join(rig.dir, 'deleted', 'out')]);
    await rm(join(rig.dir, 'deleted'), { recursive: true });
    const torn = await memoNamed('torn', '{"version":2,', 2 * DAY);
    const before = await snapshot();

    const dry = await gc({ maxBytes: 1e12, lockFiles: [], dryRun: true });

    expect(dry.staleMemos).toEqual({ files: 2, bytes: await sizes([...gone, torn]) });
    expect(await snapshot()).toEqual(before);
    const real = await gc({ maxBytes: 1e12, lockFiles: [] });
    expect({ ...dry, dryRun: false }).toEqual(real);
    for (const p of [...gone, torn]) expect(await exists(p), p).toBe(false);
  });
});
