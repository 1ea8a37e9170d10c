/**
 * A cache dir on a file system without hard links (exFAT: an external disk, a camera card; FAT;
 * many network shares), a real exFAT disk mounted for the test (helpers/exfat-disk.ts). The
 * journal's exclusive create linked a temp to the entry's name, and link(2) says EPERM there:
 * every run failed its first node with exit 70 before submitting anything. gc's put-back of a
 * claimed record linked too, so a gc killed while deciding left a record every later gc and
 * cache hit failed on. Both now hold: the entry created exclusively in place, the record
 * renamed back. Skipped, saying why, where no exFAT disk can be mounted.
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimPathOf, restoreClaim } from '../../../src/store/gc-claim.js';
import { openStore } from '../../../src/store/index.js';
import { type ExfatDisk, mountExfat } from '../../helpers/exfat-disk.js';
import { anIntent } from '../../helpers/journal-files.js';
import { ensureBuilt } from '../../helpers/cli-spawn.js';
import { REPO_ROOT } from '../../helpers/run-fixtures.js';

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

/**
 * Claims of `target` with these texts made together on the claim thread, in a child process
 * (the built modules): test files share a fork's modules here, and an earlier file may have
 * killed this fork's thread for good. Resolves with which claims were made.
 */
async function onThreadInChild(target: string, texts: readonly string[]): Promise<boolean[]> {
  await ensureBuilt();
  const module = (name: string) => JSON.stringify(pathToFileURL(join(REPO_ROOT, 'dist', 'store', name)).href);
  const script = `
    import { claimOnThread } from ${module('claim-thread.js')};
    import { tempPathFor } from ${module('atomic.js')};
    const onThread = async (target, text) => {
      for (;;) {
        const claim = claimOnThread(target, tempPathFor(target), text);
        if (claim !== null) return claim;
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const target = ${JSON.stringify(target)};
    await onThread(target + '.warm', 'warm');
    console.log(JSON.stringify(await Promise.all(${JSON.stringify(texts)}.map((t) => onThread(target, t)))));`;
  // --input-type=module: the thread must not inherit it (its code is CommonJS).
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  clearTimeout(timer);
  expect(code, out).toBe(0);
  return JSON.parse(out) as boolean[];
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
    const target = join(dir, 'entry.json');
    const texts = Array.from({ length: 12 }, (_, i) => `claim ${i}\n`);
    const made = await onThreadInChild(target, texts);
    expect(made.filter(Boolean)).toHaveLength(1);
    expect(await readFile(target, 'utf8')).toBe(texts[made.indexOf(true)]);
    expect((await readdir(dir)).sort()).toEqual(['entry.json', 'entry.json.warm']);
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
