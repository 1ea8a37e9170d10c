/**
 * A cache dir on a file system without hard links (exFAT: an external disk, a camera card; FAT;
 * many network shares), a real exFAT disk mounted for the test (helpers/exfat-disk.ts). The
 * journal's exclusive create linked a temp to the entry's name, and link(2) says EPERM there:
 * every run failed its first node with exit 70 before submitting anything. gc's put-back of a
 * claimed record linked too, so a gc killed while deciding left a record every later gc and
 * cache hit failed on. Both now hold: the entry created exclusively in place, the record
 * renamed back. Skipped, saying why, where no exFAT disk can be mounted.
 */
import { readdir, readFile, rename, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempPathFor } from '../../../src/store/atomic.js';
import { claimOnThread } from '../../../src/store/claim-thread.js';
import { claimPathOf, restoreClaim } from '../../../src/store/gc-claim.js';
import { openStore } from '../../../src/store/index.js';
import { type ExfatDisk, mountExfat } from '../../helpers/exfat-disk.js';
import { anIntent } from '../../helpers/journal-files.js';

let disk: ExfatDisk | string = 'not mounted yet';
beforeAll(async () => {
  disk = await mountExfat();
}, 60_000);
afterAll(async () => {
  if (typeof disk === 'string') process.stderr.write(`no-hard-links.test.ts: SKIPPED: ${disk}\n`);
  else await disk.unmount();
});

/** A fresh folder on the exFAT disk. */
async function folder(name: string): Promise<string> {
  if (typeof disk === 'string') throw new Error(disk);
  const dir = join(disk.dir, name);
  await mkdir(dir);
  return dir;
}

const KEY = 'a'.repeat(64);

/** A claim on the claim thread, once it is up (the first calls start it and answer `null`). */
async function onThread(target: string, text: string): Promise<boolean> {
  for (;;) {
    const claim = claimOnThread(target, tempPathFor(target), text);
    if (claim !== null) return claim;
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('a cache dir without hard links (exFAT)', () => {
  it('a journal claim is made once; the next claim of its key names the holder; no temp is left', async (t) => {
    if (typeof disk === 'string') return t.skip();
    const store = await openStore(await folder('cache'));
    expect(await store.journal.claim(anIntent(KEY, 'run-a'))).toEqual({ claimed: true });
    const second = await store.journal.claim(anIntent(KEY, 'run-b'));
    expect(second).toMatchObject({ claimed: false, holder: { run: 'run-a' } });
    expect(await readdir(join(store.root, 'journal'))).toEqual([`${KEY}.json`]);
  });

  it('claims of one name made together on the claim thread: exactly one is made, with its own bytes', async (t) => {
    if (typeof disk === 'string') return t.skip();
    const dir = await folder('thread');
    await onThread(join(dir, 'warm.json'), 'warm');
    const target = join(dir, 'entry.json');
    const texts = Array.from({ length: 12 }, (_, i) => `claim ${i}\n`);
    const made = await Promise.all(texts.map((text) => onThread(target, text)));
    expect(made.filter(Boolean)).toHaveLength(1);
    expect(await readFile(target, 'utf8')).toBe(texts[made.indexOf(true)]);
    expect((await readdir(dir)).sort()).toEqual(['entry.json', 'warm.json']);
  });

  it("gc's claimed record is put back, and one written anew meanwhile is kept", async (t) => {
    if (typeof disk === 'string') return t.skip();
    const dir = await folder('records');
    const record = join(dir, `${KEY}.json`);
    await writeFile(record, '{"claimed": true}');
    await rename(record, claimPathOf(record));
    await restoreClaim(claimPathOf(record));
    expect(await readdir(dir)).toEqual([`${KEY}.json`]);
    expect(await readFile(record, 'utf8')).toBe('{"claimed": true}');

    await rename(record, claimPathOf(record));
    await writeFile(record, '{"newer": true}');
    await restoreClaim(claimPathOf(record));
    expect(await readdir(dir)).toEqual([`${KEY}.json`]);
    expect(await readFile(record, 'utf8')).toBe('{"newer": true}');
  });
});
