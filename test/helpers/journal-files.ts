/**
 * The run journal as the tests read it from outside a run: its entries (`<cache>/journal/*.json`)
 * while a child may still be writing or removing them, so a file gone between the listing and
 * its read is skipped, not an error. And an intent as a test claims one (`anIntent`).
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface JournalEntry {
  readonly node: string;
  readonly seed?: number;
  /** Absent on an intent: written before its submit, not yet answered. */
  readonly request_id?: string;
  readonly body_sha256?: string;
}

/** Names of the journal's entry files (none when the folder does not exist). */
export async function journalFiles(cacheDir: string): Promise<string[]> {
  return (await readdir(join(cacheDir, 'journal')).catch(() => [] as string[])).filter((n) => n.endsWith('.json'));
}

export async function journalEntries(cacheDir: string): Promise<JournalEntry[]> {
  const entries: JournalEntry[] = [];
  for (const name of await journalFiles(cacheDir)) {
    const text = await readFile(join(cacheDir, 'journal', name), 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (text !== undefined) entries.push(JSON.parse(text) as JournalEntry);
  }
  return entries;
}

/** An intent (no request id yet) for `key`, written by the run `run` of pid 1, for a journal's `claim`. */
export function anIntent(key: string, run: string) {
  return {
    key,
    node: 'n',
    provider: 'runcomfy',
    model: 'm',
    seed: 7,
    input_sha256: 'b'.repeat(64),
    pid: 1,
    run,
    submitted_at: new Date(0).toISOString(),
  };
}
