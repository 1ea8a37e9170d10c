/** The journal's claims on the claim thread: exclusive, durable writes made off the event loop, errors as fs's. */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempPathFor } from '../../../src/store/atomic.js';
import { claimOnThread, dieOnClaimsForTests, forgetDeadThreadForTests } from '../../../src/store/claim-thread.js';
import { openStore } from '../../../src/store/index.js';
import { ensureBuilt } from '../../helpers/cli-spawn.js';
import { anIntent } from '../../helpers/journal-files.js';
import { REPO_ROOT } from '../../helpers/run-fixtures.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'kontext-claim-thread-'));
  forgetDeadThreadForTests(); // a death test before this one, in this worker, left the thread dead
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A claim on the thread, once it is up (the first calls start it and answer `null`). */
async function onThread(target: string, text: string): Promise<boolean> {
  for (;;) {
    const claim = claimOnThread(target, tempPathFor(target), text);
    if (claim !== null) return claim;
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('claim thread', () => {
  it('of many claims of one name at once exactly one links, with its own bytes; no temp is left', async () => {
    const target = join(root, 'entry.json');
    await onThread(join(root, 'warm.json'), 'warm');
    const texts = Array.from({ length: 20 }, (_, i) => `claim ${i}\n`);
    const linked = await Promise.all(texts.map((t) => onThread(target, t)));
    expect(linked.filter(Boolean)).toHaveLength(1);
    expect(await readFile(target, 'utf8')).toBe(texts[linked.indexOf(true)]);
    expect((await readdir(root)).sort()).toEqual(['entry.json', 'warm.json']);
  });

  it('claims of different names made together all link (one folder fsync for the batch)', async () => {
    const names = Array.from({ length: 40 }, (_, i) => `k${i}.json`);
    const linked = await Promise.all(names.map((n) => onThread(join(root, n), n)));
    expect(linked.every(Boolean)).toBe(true);
    for (const n of names) expect(await readFile(join(root, n), 'utf8')).toBe(n);
    expect((await readdir(root)).sort()).toEqual([...names].sort());
  });

  it("fails as fs would: the error's code, the claim not made", async () => {
    const notDir = join(root, 'file');
    await writeFile(notDir, 'x');
    await expect(onThread(join(notDir, 'e.json'), 'x')).rejects.toMatchObject({ code: 'ENOTDIR' });
    const gone = join(root, 'gone');
    await expect(onThread(join(gone, 'e.json'), 'x')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(root)).toEqual(['file']);
  });

  it('journal claims stay exclusive on the thread, and one whose folder was deleted is made there again', async () => {
    const { journal } = await openStore(root);
    await onThread(join(root, 'warm.json'), 'warm');
    const key = 'a'.repeat(64);
    const [x, y] = await Promise.all([journal.claim(anIntent(key, 'r1')), journal.claim(anIntent(key, 'r2'))]);
    expect([x.claimed, y.claimed].sort()).toEqual([false, true]);
    const holder = x.claimed ? y : x;
    expect(holder.claimed === false && holder.holder.run).toBe((await journal.get(key))?.run);
    // The cache dir deleted under a run: the thread answers ENOENT, the claim makes the folder.
    await rm(join(root, 'journal'), { recursive: true, force: true });
    const other = 'c'.repeat(64);
    expect((await journal.claim(anIntent(other, 'r3'))).claimed).toBe(true);
    expect((await journal.get(other))?.run).toBe('r3');
    await mkdir(join(root, 'journal'), { recursive: true });
  });

  for (const when of ['before-link', 'after-link'] as const) {
    it(`a thread that dies holding claims (${when}) fails each (E_CLAIM_THREAD), leaves no entry or temp`, async () => {
      const { journal } = await openStore(root);
      const keys = ['a', 'b', 'c'].map((c) => c.repeat(64));
      await dieOnClaimsForTests(keys.length, when);
      const claims = await Promise.allSettled(keys.map((k) => journal.claim(anIntent(k, 'r1'))));
      for (const claim of claims) {
        expect(claim.status).toBe('rejected');
        const e = (claim as PromiseRejectedResult).reason as Error;
        expect(e).toMatchObject({ code: 'E_CLAIM_THREAD', exitCode: 70 });
        expect(e.message).toMatch(/claim thread failed \(told to die\) before it answered/);
      }
      // Not an intent of a dead run for the next run to take as maybe paid, nor a temp.
      expect(await readdir(join(root, 'journal'))).toEqual([]);
      // The process's later claims take the promise path.
      expect(claimOnThread(join(root, 'e.json'), tempPathFor(join(root, 'e.json')), 'x')).toBeNull();
      expect((await journal.claim(anIntent(keys[0] as string, 'r2'))).claimed).toBe(true);
      expect((await journal.get(keys[0] as string))?.run).toBe('r2');
    });
  }

  it('keeps no process alive, whether its claims all took the promise path or one was made on it', async () => {
    // `claimOnThread` starts the thread; the first script then never uses it, the second
    // waits for it and makes a claim on it. Either then has nothing left to do.
    const script = (useIt: boolean) => `
      for (let i = 0; ; i++) {
        const claim = claimOnThread(dir + '/e' + i, dir + '/.t' + i + '.tmp', 'x');
        if (claim) { console.log(await claim); break; }
        await new Promise((r) => setTimeout(r, ${useIt ? 5 : 300}));
        if (${!useIt}) { console.log('started'); break; }
      }`;
    expect(await runChild(script(false))).toEqual({ code: 0, out: 'started' });
    expect(await runChild(script(true))).toEqual({ code: 0, out: 'true' });
  });

  it('a journal told to expect claims starts the thread, so the first claim is made on it', async () => {
    // Without it, the first claim starts the thread and takes the promise path (null here).
    const script = (expect: boolean) => `
      ${expect ? 'createJournal(dir).expectClaims();' : ''}
      await new Promise((r) => setTimeout(r, 3000));
      const claim = claimOnThread(dir + '/e', dir + '/.t.tmp', 'x');
      console.log(claim === null ? 'not up' : await claim);`;
    expect(await runChild(script(true))).toEqual({ code: 0, out: 'true' });
    await rm(join(root, 'e'));
    expect(await runChild(script(false))).toEqual({ code: 0, out: 'not up' });
  });
});

/** Run `body` in a child process (the built modules imported, `dir` the test's folder): its exit code and output. */
async function runChild(body: string): Promise<{ code: number | null; out: string }> {
  await ensureBuilt();
  const module = (name: string) => JSON.stringify(pathToFileURL(join(REPO_ROOT, 'dist', 'store', name)).href);
  const script = `
    import { claimOnThread } from ${module('claim-thread.js')};
    import { createJournal } from ${module('journal.js')};
    const dir = ${JSON.stringify(root)};
    ${body}`;
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
  return { code, out: out.trim() };
}
