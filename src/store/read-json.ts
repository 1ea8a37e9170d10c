/**
 * Read a small JSON file through a zod schema, for cache entries: missing, unparsable or
 * mis-shaped all read as `null` (a miss). Other I/O errors (EMFILE, EACCES) are thrown: a
 * transient failure must not look like a miss, or we would pay for a run we already have.
 */
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { isCode } from './atomic.js';

export async function readJsonOrNull<S extends z.ZodType>(path: string, schema: S): Promise<z.infer<S> | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (isCode(e, 'ENOENT', 'ENOTDIR', 'EISDIR')) return null;
    throw e;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = schema.safeParse(data);
  return parsed.success ? parsed.data : null;
}
