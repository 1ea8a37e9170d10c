/**
 * Temps of dead writers go at once, a live writer's never: real child processes (the built
 * library) make temp files in a store's `tmp/` the way a download does (a store temp name and a
 * `.part` beside it), one child stays alive, one has exited. Opening the store removes the dead
 * one's temps and keeps the live one's until it is killed; a temp whose tag names another machine
 * or pid namespace is kept (it cannot be checked) until it is a day old, as `gc` does too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isStaleTemp } from '../../../src/store/atomic.js';
import { gcStore } from '../../../src/store/gc.js';
import { openStore } from '../../../src/store/open-store.js';
import { processTag } from '../../../src/util/process-tag.js';
import { ensureBuilt } from '../../helpers/cli-spawn.js';
import { REPO_ROOT } from '../../helpers/run-fixtures.js';

let root: string;
const children: ChildProcess[] = [];
beforeAll(ensureBuilt, 180_000);
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'kontext-stale-'));
});
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await rm(root, { recursive: true, force: true });
});

/**
 * A child that makes a download's temps in `<root>/tmp` (the store's name, and a `.part` beside
 * it), prints their names, then lives until killed (`stay`) or exits.
 */
async function writer(stay: boolean): Promise<{ child: ChildProcess; names: string[]; exited: Promise<void> }> {
  const dist = join(REPO_ROOT, 'dist');
  const script = `
    const { tempPath } = await import(${JSON.stringify(join(dist, 'store', 'blobs.js'))});
    const { uniqueSuffix } = await import(${JSON.stringify(join(dist, 'util', 'unique-suffix.js'))});
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const { basename, dirname, join } = await import('node:path');
    mkdirSync(join(process.argv[1], 'tmp'), { recursive: true });
    const temp = tempPath(process.argv[1], 'a');
    const part = join(dirname(temp), '.' + basename(temp) + '.' + uniqueSuffix() + '.part');
    writeFileSync(temp, 'x');
    writeFileSync(part, 'half');
    console.log(JSON.stringify([basename(temp), basename(part)]));
    if (${stay}) setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, root], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0] as string);
    });
    child.once('exit', () => reject(new Error(`writer exited before printing: ${out}`)));
  });
  return { child, names: JSON.parse(line) as string[], exited };
}

const inTmp = async (): Promise<string[]> => (await readdir(join(root, 'tmp'))).sort();

describe('temps of dead writers (this machine, this pid namespace)', () => {
  it.skipIf(processTag === '')(
    'openStore removes a dead writer’s temps at once and keeps a live one’s',
    async () => {
      const live = await writer(true);
      const dead = await writer(false);
      await dead.exited;
      // Tagged with this machine's host hash (the last part of the tag), as ours is.
      const host = /h[0-9a-f]{8}$/.exec(processTag)?.[0];
      expect(live.names.concat(dead.names).every((n) => n.includes(`${host}_`))).toBe(true);
      await openStore(root);
      expect(await inTmp()).toEqual([...live.names].sort());
      // Two processes at once: the live writer's files are still its own, untouched by a second open.
      await openStore(root);
      expect(await inTmp()).toEqual([...live.names].sort());
      live.child.kill('SIGKILL');
      await live.exited;
      await openStore(root);
      expect(await inTmp()).toEqual([]);
    },
    30_000,
  );

  it.skipIf(processTag === '')('a pid now used by another process (other start time) is dead; ours is not', () => {
    const m = /^p(\d+)t(\d+)(h[0-9a-f]{8})$/.exec(processTag);
    expect(m).not.toBeNull();
    const [, pid, start, host] = m as unknown as [string, string, string, string];
    const name = (p: string, t: string, h = host) => `.x.json.p${p}t${t}${h}_abcdef-1.tmp`;
    const now = Date.now();
    expect(isStaleTemp(name(pid, start), now, now)).toBe(false);
    // Our own pid with another start time: a process before us that had our pid.
    expect(isStaleTemp(name(pid, String(Number(start) + 1)), now, now)).toBe(true);
    // Another machine or container (other host hash): cannot be checked, kept until a day old.
    expect(isStaleTemp(name(pid, '1', 'h00000000'), now, now)).toBe(false);
    expect(isStaleTemp(name(pid, '1', 'h00000000'), now - 25 * 3600_000, now)).toBe(true);
    // A name without a tag (an older kontext, or no /proc): the age rule only.
    expect(isStaleTemp('.x.json.3fa9c1d2e4b7-1.tmp', now, now)).toBe(false);
  });

  it.skipIf(processTag === '')(
    'gc removes a dead writer’s temp beside a record, keeps an unchecked young one',
    async () => {
      const dead = await writer(false);
      await dead.exited;
      const records = join(root, 'records', 'ab');
      const deadTemp = join(records, `.${'ab'.repeat(32)}.json.${(dead.names[0] as string).split('.')[1]}.tmp`);
      const foreign = join(records, `.${'ab'.repeat(32)}.json.p1t1h00000000_abcdef-1.tmp`);
      await openStore(root);
      await mkdir(records, { recursive: true });
      await writeFile(deadTemp, '{');
      await writeFile(foreign, '{');
      const result = await gcStore(root, { lockFiles: [], now: Date.now });
      expect(result.staleTemps.files).toBe(1);
      expect(await readdir(records)).toEqual([basename(foreign)]);
    },
    30_000,
  );
});
