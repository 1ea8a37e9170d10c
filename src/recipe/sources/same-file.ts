/**
 * One instance per real file per glob. A glob can reach one file by several paths: a symlinked
 * folder (`assets/latest -> 2024-12` with `assets/*\/*.jpg`), a link loop (`shots/again -> .`), a
 * symlinked file beside its target. Each path was an instance of its own, and with unpinned seeds
 * a paid request each for the same image. Paths are compared by where they really lead (realpath,
 * which the source guard has just resolved); the first path in the glob's sorted order is the
 * instance and names it, the others are folded into it and named in a warning. Instance names are
 * made from the folded list, so a duplicate appearing or going away never renumbers the other
 * instances (`shoe-2` stays `shoe-2`). Two sources naming one file stay two: that is explicit.
 */
import path from 'node:path';
import type { Problem } from '../../errors.js';
import type { Report } from '../report.js';
import type { Source } from '../types.js';
import { instanceNames } from './instance-names.js';

/** How many folded paths a warning lists before "and N more". */
const LISTED = 3;

export interface Folded {
  readonly source: Source;
  /** Set when some paths were folded. */
  readonly warning?: Problem;
}

/**
 * `source` (a glob's) with one instance per real file; `reals[i]` is where its i-th instance's
 * path really leads. `dir`: the recipe's folder, for the paths in the warning.
 */
export function foldSameFiles(source: Source, reals: readonly string[], dir: string, report: Report): Folded {
  const kept: string[] = [];
  const keptByReal = new Map<string, string>();
  const folds: { readonly path: string; readonly into: string }[] = [];
  source.instances.forEach((instance, i) => {
    const file = instance.path;
    const real = reals[i];
    if (file === undefined || real === undefined) return;
    const into = keptByReal.get(real);
    if (into === undefined) {
      keptByReal.set(real, file);
      kept.push(file);
    } else folds.push({ path: file, into });
  });
  if (folds.length === 0) return { source };
  const names = instanceNames(kept);
  const instances = kept.map((file, i) => ({ instance: names[i] ?? null, path: file }));
  const shown = (f: string): string => JSON.stringify(path.relative(dir, f) || f);
  const listed = folds.slice(0, LISTED).map((f) => `${shown(f.path)} is ${shown(f.into)}`);
  const more = folds.length > LISTED ? ` (and ${folds.length - LISTED} more)` : '';
  const files = new Set(folds.map((f) => f.into)).size;
  const warning = report({
    code: 'glob-same-file',
    path: ['sources', source.name],
    severity: 'warning',
    message:
      `glob "${source.spec}" reaches ${files === 1 ? 'a file' : `${files} files`} by more than one path; ` +
      `${files === 1 ? 'it runs' : 'each runs'} once, as its first path: ${listed.join('; ')}${more}`,
    hint: 'a symlinked folder or file leads the glob there twice; narrow the glob to leave the extra paths out',
  });
  return { source: { ...source, instances }, warning };
}
