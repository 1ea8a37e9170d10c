/**
 * The journal: one small file per submitted-but-unrecorded request, named by cache key.
 * One file each means no appends to tear and no rewrite of the others; `add` fsyncs the file
 * and its folder before resolving, because it is what stops us paying twice after a crash.
 */
import { readdir, unlink } from 'node:fs/promises';
import { isCode, writeFileAtomic } from './atomic.js';
import { StoreError } from './errors.js';
import { assertHex64, isSha256Hex, layout } from './layout.js';
import { readJsonOrNull } from './read-json.js';
import { JournalEntrySchema } from './schemas.js';
import type { Journal, JournalEntry } from './types.js';

export function createJournal(root: string): Journal {
  const dir = layout.journal(root);
  const get = async (key: string): Promise<JournalEntry | null> => {
    assertHex64(key, 'cache key');
    const entry = await readJsonOrNull(layout.journalEntry(root, key), JournalEntrySchema);
    return entry !== null && entry.key === key ? entry : null;
  };
  return {
    async add(entry) {
      assertHex64(entry.key, 'cache key');
      const parsed = JournalEntrySchema.safeParse(entry);
      if (!parsed.success) {
        throw new StoreError(
          'E_STORE_BAD_JOURNAL',
          `refusing to journal an invalid entry for ${entry.node}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
        );
      }
      await writeFileAtomic(layout.journalEntry(root, entry.key), `${JSON.stringify(parsed.data)}\n`, {
        durable: true,
      });
    },
    get,
    async remove(key, requestId) {
      assertHex64(key, 'cache key');
      if (requestId !== undefined && (await get(key))?.request_id !== requestId) return;
      // Not fsynced: an entry that comes back after a power cut is harmless (its record is a
      // cache hit, or the next run re-attaches by id and pays nothing), while forcing the
      // unlink to disk could only make it outlive a record that is not on disk yet.
      await unlink(layout.journalEntry(root, key)).catch((e: unknown) => {
        if (!isCode(e, 'ENOENT')) throw e;
      });
    },
    async list() {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (e) {
        if (isCode(e, 'ENOENT')) return [];
        throw e;
      }
      const keys = names
        .filter((n) => n.endsWith('.json'))
        .map((n) => n.slice(0, -5))
        .filter(isSha256Hex);
      const entries = await Promise.all(keys.map(get));
      return entries
        .filter((e): e is JournalEntry => e !== null)
        .sort((a, b) => cmp(a.submitted_at, b.submitted_at) || cmp(a.key, b.key));
    },
  };
}

function cmp(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
