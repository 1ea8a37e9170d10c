/**
 * What the watch server knows of its recipe without a build: the data of a recipe never loaded
 * (the page before its first build, or one whose first build failed), and the sha256 of the
 * recipe's bytes, which a pick sends back.
 */
import { createHash } from 'node:crypto';
import { basename, extname, relative, resolve } from 'node:path';
import type { Runtime } from '../../runtime.js';
import { readBounded } from '../../util/read-bounded.js';
import { countsOf } from '../totals.js';
import type { ReportData } from '../types.js';
import { MAX_RECIPE_BYTES } from '../../recipe/load.js';

/** The data of a recipe never loaded: no passes, nothing to serve but the page. */
export function noPlan(path: string, rt: Runtime): ReportData {
  return {
    v: 1,
    recipe: {
      name: basename(path, extname(path)),
      file: relative(rt.cwd, resolve(rt.cwd, path)) || path,
      provider: '',
    },
    generatedAt: new Date(rt.now()).toISOString(),
    counts: countsOf([]),
    costUsd: null,
    warnings: [],
    passes: [],
    rows: [],
    nodes: [],
  };
}

/**
 * sha256 (hex) of the recipe's bytes (through a symlink, as `writePick` reads them), at most a recipe's
 * size (`writePick` refuses a larger file anyway); null when unreadable.
 */
export async function recipeSha256(file: string): Promise<string | null> {
  try {
    return createHash('sha256')
      .update(await readBounded(file, MAX_RECIPE_BYTES))
      .digest('hex');
  } catch {
    return null;
  }
}
