/**
 * Watch mode, a source seen mid-write (real chokidar on real files, the emulator's request log
 * as truth): an image copied into a glob folder in two parts with a pause longer than the
 * debounce is not uploaded half-written (a head of a JPEG sniffs as a JPEG): the cycle waits,
 * and the file runs once whole, paid once. A file that stays cut short with no further change
 * is used as it is after the settle time (a plain run would upload it so too). A copy still
 * going when the watch starts is waited for the same way on the first cycle.
 */
import { appendFile, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ASSETS, until } from '../../helpers/run-fixtures.js';
import { HEAD, startWatchRig, type WatchRig } from './harness.js';

const A = 'Keep the product unchanged. Replace the background with white.';

const recipe = [
  'version: 1',
  'name: test',
  'provider: runcomfy',
  ...HEAD,
  'sources:',
  '  shots: shots/*.jpg',
  'passes:',
  '  - id: a',
  `    prompt: ${JSON.stringify(A)}`,
  '',
].join('\n');

let rig: WatchRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

async function start(): Promise<WatchRig> {
  const r = await startWatchRig(recipe, {
    setup: async (p) => {
      await mkdir(join(p.root, 'shots'));
      await copyFile(join(ASSETS, 'pet-chelsea.jpg'), join(p.root, 'shots', 'pet-chelsea.jpg'));
    },
  });
  await r.cycleDone(1);
  expect(r.submits().get(A)).toBe(1);
  return r;
}

/** The warnings so far that name `file`. */
const warningsOn = (r: WatchRig, file: string): string[] =>
  r.of('warning').flatMap((w) => (w.message.includes(file) ? [w.message] : []));

/** A cycle that plans `node`, or a warning about `file`: whichever the watcher does first. */
const reacted = (r: WatchRig, node: string, file: string): boolean =>
  r.of('watch-cycle').some((c) => c.to_run.some((t) => t.node === node)) || warningsOn(r, file).length > 0;

describe('watch: a source seen mid-write', () => {
  it('an image copied in two parts runs once, whole; its first half is never uploaded', async () => {
    const r = (rig = await start());
    const bytes = await readFile(join(ASSETS, 'scene-rocket.jpg'));
    const target = join(r.project.root, 'shots', 'rocket.jpg');
    await writeFile(target, bytes.subarray(0, bytes.length >> 1));
    // The watcher has seen the half file (the debounce is over): it waits rather than runs.
    await until(() => reacted(r, 'a@rocket', 'rocket.jpg'), 8_000, 'the watcher to react to the half file');
    await r.session.idle(); // whatever it started on the half file has ended
    await appendFile(target, bytes.subarray(bytes.length >> 1));
    await until(
      () => r.of('node-done').some((e) => e.node === 'a@rocket'),
      8_000,
      'the whole file run',
      () => JSON.stringify(r.events.filter((e) => e.type.startsWith('watch') || e.type === 'node-failed')),
    );
    await r.session.idle();
    expect(r.of('node-failed')).toEqual([]);
    expect(r.submits().get(A)).toBe(2); // pet-chelsea, then rocket once
    expect(warningsOn(r, 'rocket.jpg')[0]).toMatch(/shots\/rocket\.jpg.*not a whole image yet/);
    expect(r.errors).toEqual([]);
  });

  // Bytes after the image's end, as some cameras write: the probe says "not whole", hosting sends it.
  it('a file that stays not whole, unchanged, is used as it is after the settle time', async () => {
    const r = (rig = await start());
    const bytes = await readFile(join(ASSETS, 'scene-rocket.jpg'));
    // Hosting sends it (the image is whole up to its EOI); one really cut short it refuses (exit 65).
    await writeFile(join(r.project.root, 'shots', 'rocket.jpg'), Buffer.concat([bytes, Buffer.from('camera trailer')]));
    await until(
      () => r.of('watch-cycle').some((c) => c.to_run.some((t) => t.node === 'a@rocket')),
      10_000,
      'the cut file planned after the settle time',
    );
    const said = warningsOn(r, 'rocket.jpg');
    expect(said[0]).toMatch(/not a whole image yet/);
    expect(said.at(-1)).toMatch(/unchanged.*as it is/);
    expect(r.errors).toEqual([]);
  });

  it('a copy still going when the watch starts: the first cycle waits for it, and it runs once, whole', async () => {
    const bytes = await readFile(join(ASSETS, 'scene-rocket.jpg'));
    let target = '';
    const r = (rig = await startWatchRig(recipe, {
      setup: async (p) => {
        await mkdir(join(p.root, 'shots'));
        await copyFile(join(ASSETS, 'pet-chelsea.jpg'), join(p.root, 'shots', 'pet-chelsea.jpg'));
        target = join(p.root, 'shots', 'rocket.jpg');
        await writeFile(target, bytes.subarray(0, bytes.length >> 1));
      },
    }));
    await until(() => warningsOn(r, 'rocket.jpg').length > 0, 8_000, 'the first cycle to see the half file');
    expect(r.of('watch-cycle')).toEqual([]); // it planned nothing on the half file
    await appendFile(target, bytes.subarray(bytes.length >> 1));
    await until(
      () => r.of('node-done').some((e) => e.node === 'a@rocket'),
      10_000,
      'the whole file run',
      () => JSON.stringify(r.events.filter((e) => e.type.startsWith('watch') || e.type === 'node-failed')),
    );
    await r.session.idle();
    expect(r.of('node-failed')).toEqual([]);
    expect(r.submits().get(A)).toBe(2); // pet-chelsea and rocket, each once
    expect(warningsOn(r, 'rocket.jpg')[0]).toMatch(/shots\/rocket\.jpg.*not a whole image yet/);
    expect(r.errors).toEqual([]);
  });

  it('a source emptied by an editor before it writes: waited for (not an invalid recipe), then run once', async () => {
    const r = (rig = await start());
    const target = join(r.project.root, 'shots', 'pet-chelsea.jpg');
    await writeFile(target, '');
    await until(
      () => warningsOn(r, 'pet-chelsea.jpg').some((m) => m.includes('empty so far')),
      8_000,
      'the empty file waited for',
      () => JSON.stringify(r.events.filter((e) => e.type.startsWith('watch') || e.type === 'warning')),
    );
    await copyFile(join(ASSETS, 'scene-rocket.jpg'), target);
    await until(() => r.submits().get(A) === 2, 8_000, 'the new bytes run');
    await r.session.idle();
    expect(r.of('watch-error')).toEqual([]);
    expect(r.of('node-failed')).toEqual([]);
    expect(r.errors).toEqual([]);
  });

  it('a source left empty: after the settle time, the recipe is refused as it would be on a plain run', async () => {
    const r = (rig = await start());
    await writeFile(join(r.project.root, 'shots', 'pet-chelsea.jpg'), '');
    await until(() => r.of('watch-error').length > 0, 10_000, 'the empty file refused');
    expect(r.of('watch-error')[0]).toMatchObject({ kind: 'invalid' });
    expect(JSON.stringify(r.of('watch-error')[0])).toMatch(/pet-chelsea\.jpg.*is not an image/);
    expect(warningsOn(r, 'pet-chelsea.jpg')[0]).toMatch(/empty so far/);
    expect(r.submits().get(A)).toBe(1);
  });

  it('an export written chunk by chunk is said to be waited for once, not once a chunk', async () => {
    const r = (rig = await start());
    const bytes = await readFile(join(ASSETS, 'scene-rocket.jpg'));
    const target = join(r.project.root, 'shots', 'rocket.jpg');
    const chunk = Math.ceil(bytes.length / 5);
    for (let at = 0; at < bytes.length; at += chunk) {
      await appendFile(target, bytes.subarray(at, at + chunk));
      await new Promise((done) => setTimeout(done, 300)); // past the debounce: the watcher sees each chunk
    }
    await until(() => r.of('node-done').some((e) => e.node === 'a@rocket'), 8_000, 'the whole file run');
    await r.session.idle();
    expect(warningsOn(r, 'rocket.jpg').filter((m) => m.includes('not a whole image yet'))).toHaveLength(1);
    expect(r.submits().get(A)).toBe(2);
  });
});
