/**
 * Where a node's output lives: `<out>/<pass>/<name>[-v<k>].<ext>`, where `<name>` is the glob
 * instance (the file stem, already limited to `[A-Za-z0-9._-]`) or, for a single file or URL
 * source, the source's name. Pass ids and source names are validated names too, so output
 * paths never hold `#`, `@` or spaces and travel safely through URLs, shells and CDNs.
 * Files written by older versions at `<out>/<node-id>.<ext>` ({@link legacyOutputPathFor}) are
 * moved to the new names by the runner when their bytes still match the lock.
 */
import { join, sep } from 'node:path';
import { isCleanAbsolute } from '../util/real-path.js';
import type { Plan, PlanNode } from './types.js';

/** What names an output file (a {@link PlanNode} is one). */
export type OutputNaming = Pick<PlanNode, 'pass' | 'source' | 'instance' | 'variant'> & {
  readonly output?: string | undefined;
};

/**
 * The output file of `node`, under the plan's out folder (or an explicit `outDir`); a node
 * with an explicit `output` (`kontext edit`) writes there instead. `ext` may be given with or
 * without its leading dot (`png` or `.png`).
 */
export function outputPathFor(planOrOutDir: Plan | string, node: OutputNaming, ext: string): string {
  const bare = ext.replace(/^\./, '');
  if (node.output !== undefined) return `${node.output}.${bare}`;
  const outDir = typeof planOrOutDir === 'string' ? planOrOutDir : planOrOutDir.recipe.outDir;
  const variant = node.variant === null ? '' : `-v${node.variant}`;
  const name = `${node.instance ?? node.source}${variant}.${bare}`;
  // What join() gives when it has nothing to normalise: asked for every node by status and resolve.
  const joined = `${outDir}/${node.pass}/${name}`;
  return sep === '/' && isCleanAbsolute(joined) ? joined : join(outDir, node.pass, name);
}

/** Where versions before the URL-safe layout wrote the output of `nodeId`: `<out>/<node-id>.<ext>`. */
export function legacyOutputPathFor(outDir: string, nodeId: string, ext: string): string {
  return join(outDir, `${nodeId}.${ext.replace(/^\./, '')}`);
}
