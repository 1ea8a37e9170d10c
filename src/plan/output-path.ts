/** Where a node's output lives: `<outDir>/<node-id>.<ext>` (docs/architecture.md#the-recipe). */
import { join } from 'node:path';
import type { Plan } from './types.js';

/**
 * The output file of `nodeId`, under the plan's out folder (or an explicit `outDir`).
 * `ext` may be given with or without its leading dot (`png` or `.png`).
 */
export function outputPathFor(planOrOutDir: Plan | string, nodeId: string, ext: string): string {
  const outDir = typeof planOrOutDir === 'string' ? planOrOutDir : planOrOutDir.recipe.outDir;
  return join(outDir, `${nodeId}.${ext.replace(/^\./, '')}`);
}
