/**
 * Uploads not done yet, noted in the local cache (`<cache>/remote-pending/<key>`, holding the
 * remote's URL) from the moment a paid result is queued for upload until the remote has it. A run
 * cut short (Ctrl-C, a remote that went down) leaves its notes, and the next run with the same
 * remote uploads those results: otherwise they would be local hits there, never uploaded, and
 * paid again on every other machine. Best effort: a note that cannot be written or read only
 * means that no later run catches up. A note is a few bytes, not fsynced (the result it names is).
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Store } from '../store/types.js';

const DIR = 'remote-pending';
const KEY = /^[0-9a-f]{64}$/;

export class PendingUploads {
  constructor(private readonly url: string) {}

  async mark(store: Store, key: string): Promise<void> {
    const dir = join(store.root, DIR);
    try {
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, key), this.url);
    } catch {
      // No note: a later run will not upload this result, nothing worse.
    }
  }

  async clear(store: Store, key: string): Promise<void> {
    await rm(join(store.root, DIR, key), { force: true }).catch(() => undefined);
  }

  /** The keys noted for this remote (notes for another remote are left alone). */
  async list(store: Store): Promise<string[]> {
    const dir = join(store.root, DIR);
    const names = await readdir(dir).catch(() => []);
    const keys: string[] = [];
    for (const name of names.filter((n) => KEY.test(n)).sort()) {
      const url = await readFile(join(dir, name), 'utf8').catch(() => null);
      if (url === this.url) keys.push(name);
    }
    return keys;
  }
}
