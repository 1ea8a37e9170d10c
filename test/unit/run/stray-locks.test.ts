/**
 * Which lock files beside a recipe's are strays (src/run/stray-locks.ts): a lock whose recipe is
 * gone lends seeds and `status` says to delete it, so a live recipe's lock — whatever its
 * recipe's extension — must never be taken for one.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { strayLockPaths } from '../../../src/run/stray-locks.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('strayLockPaths', () => {
  it('names only the locks whose recipe is gone, whatever extension a live recipe has', async () => {
    dir = await mkdtemp(join(tmpdir(), 'kontext-stray-'));
    const files = [
      'products.yml', // the recipe asked about, and its own lock
      'products.lock.json',
      'catalog.lock.json', // renamed away: stray
      'teaser.kontext', // a recipe with another extension: its lock is not stray
      'teaser.lock.json',
      'Banner.YML', // upper case
      'Banner.lock.json',
      'products.lock.json.run.lck', // a run lock, not a lock file
    ];
    for (const f of files) await writeFile(join(dir, f), '{}');
    expect(await strayLockPaths(join(dir, 'products.lock.json'))).toEqual([join(dir, 'catalog.lock.json')]);
    // Seen from the renamed-away recipe's side, if it came back: products' lock is live.
    await writeFile(join(dir, 'catalog.yaml'), 'version: 1');
    expect(await strayLockPaths(join(dir, 'products.lock.json'))).toEqual([]);
  });
});
