/**
 * Uploads not done yet, noted in the local cache (`<cache>/remote-pending/<key>`, holding the
 * remote's URL, and `replace` on a second line when the remote's record was refused) from
 * before a paid result's local record is written until the remote has it. A run cut short
 * (Ctrl-C, kill -9, a remote that went down), or one whose uploads were off or denied (read-only
 * keys, an untrusted recipe's remote), leaves its notes, and the next run with the same remote
 * and write access uploads those results: otherwise they would be local hits there, never
 * uploaded, and paid again on every other machine. Best effort: a note that cannot be written or read only
 * means that no later run catches up. A note is a few bytes, not fsynced (the result it names is).
 * `kontext gc` keeps the record and blob a note names (store/gc-roots.ts) until it is cleared.
 */
import { readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mkdirp } from '../util/mkdir-p.js';
import { layout } from '../store/layout.js';
import type { Store } from '../store/types.js';

const KEY = /^[0-9a-f]{64}$/;
/** The note's second line when the upload replaces a refused remote record. */
const REPLACE = 'replace';

export class PendingUploads {
  /** The notes folder of each local store, made (or found) once per context, not once per note. */
  readonly #made = new Map<string, Promise<unknown>>();

  constructor(private readonly url: string) {}

  /**
   * `replace`: the remote's record of `key` was refused (its blob gone or damaged), so the upload
   * replaces it (upload.ts); a later run sending it must do the same, not find the record there.
   */
  async mark(store: Store, key: string, replace = false): Promise<void> {
    const text = replace ? `${this.url}\n${REPLACE}\n` : this.url;
    const dir = layout.remotePending(store.root);
    try {
      let made = this.#made.get(dir);
      if (made === undefined) {
        made = mkdirp(dir);
        this.#made.set(dir, made);
      }
      await made;
      await writeFile(join(dir, key), text).catch(async (e: unknown) => {
        // The folder is gone (the cache dir deleted during the run): made again, once.
        if ((e as { code?: unknown }).code !== 'ENOENT') throw e;
        await mkdirp(dir);
        await writeFile(join(dir, key), text);
      });
    } catch {
      // No note: a later run will not upload this result, nothing worse.
    }
  }

  async clear(store: Store, key: string): Promise<void> {
    // One unlink (rm would stat first); a note already gone is fine.
    await unlink(join(layout.remotePending(store.root), key)).catch(() => undefined);
  }

  /** The keys noted for this remote (notes for another remote are left alone). */
  async list(store: Store): Promise<{ readonly key: string; readonly replace: boolean }[]> {
    const dir = layout.remotePending(store.root);
    const names = await readdir(dir).catch(() => []);
    const keys: { key: string; replace: boolean }[] = [];
    for (const name of names.filter((n) => KEY.test(n)).sort()) {
      const [url, flag] = ((await readFile(join(dir, name), 'utf8').catch(() => null)) ?? '').split('\n');
      if (url === this.url) keys.push({ key: name, replace: flag === REPLACE });
    }
    return keys;
  }
}
