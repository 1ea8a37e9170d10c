/**
 * What the watch server knows of its recipe without a build: the data of a recipe never loaded
 * (the page before its first build, or one whose first build failed), and the sha256 of the
 * recipe's bytes, which a pick sends back.
 */
import { createHash } from 'node:crypto';
import { basename, extname, relative, resolve } from 'node:path';
import type { Runtime } from '../../runtime.js';
import { readBounded } from '../../util/read-bounded.js';
import type { ReportData } from '../types.js';
import { MAX_RECIPE_BYTES } from '../../recipe/load.js';

/** The most of a recipe hashed for a pick's check (`writePick` refuses a larger file anyway). */

/** The data of a recipe never loaded: no passes, nothing to serve but the page. */
export function noPlan(path: string, rt: Runtime): ReportData {
  const none = {
    'up-to-date': 0,
    cached: 0,
    remote: 0,
    'not-run': 0,
    modified: 0,
    running: 0,
    failed: 0,
    skipped: 0,
    drift: 0,
  };
  return {
    v: 1,
    recipe: {
      name: basename(path, extname(path)),
      file: relative(rt.cwd, resolve(rt.cwd, path)) || path,
      provider: '',
    },
    generatedAt: new Date(rt.now()).toISOString(),
    counts: { nodes: 0, ...none },
    costUsd: null,
    warnings: [],
    passes: [],
    rows: [],
    nodes: [],
  };
}

/** sha256 (hex) of the recipe's bytes (through a symlink, as `writePick` reads them); null when unreadable. */
export async function recipeSha256(file: string): Promise<string | null> {
  try {
    return createHash('sha256')
      .update(await readBounded(file, MAX_RECIPE_BYTES))
      .digest('hex');
  } catch {
    return null;
  }
}
