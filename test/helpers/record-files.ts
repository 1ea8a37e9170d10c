/**
 * The cache's run records as the tests read them from outside a run
 * (`<cache>/records/<aa>/<key>.json`): each file and its parsed JSON, none when the folder does
 * not exist. Temps (`.<name>.tmp`) are not records.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

export interface RecordFile {
  readonly file: string;
  readonly record: Readonly<Record<string, unknown>>;
}

export async function recordFiles(cacheDir: string): Promise<RecordFile[]> {
  const dir = join(cacheDir, 'records');
  const names = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  const files = names.filter((n) => n.endsWith('.json') && !basename(n).startsWith('.')).map((n) => join(dir, n));
  return Promise.all(
    files.map(async (file) => ({ file, record: JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown> })),
  );
}
