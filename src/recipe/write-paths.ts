/**
 * The file-system facts the write-target rules need, gathered before the (pure) rules run:
 * where each `out:` folder, `save:` folder, source and the project root really are, through
 * symlinks (the realpath of the deepest existing folder, plus the rest as written).
 */
import path from 'node:path';
import { realPathDeep } from '../util/real-path.js';
import type { Draft } from './draft.js';
import { sourceFiles } from './source-files.js';
import type { Source } from './types.js';

/** The folder of an absolute `save:` path before its first placeholder. */
function staticFolder(abs: string): string {
  const brace = abs.indexOf('{');
  const head = brace < 0 ? abs : abs.slice(0, brace);
  return head.endsWith(path.sep) ? head.slice(0, -1) : path.dirname(head);
}

/** Where an absolute `out:` folder (`isFolder`) or `save:` path really leads, given the realpath lookup. */
export function realForm(abs: string, isFolder: boolean, real: (p: string) => string): string {
  const folder = isFolder ? abs : staticFolder(abs);
  return real(folder) + abs.slice(folder.length);
}

/** Lexical absolute path → real path, for every path the rules may ask about. */
export async function collectRealPaths(
  draft: Draft,
  dir: string,
  projectRoot: string,
  sources: readonly Source[],
  /** The output folder when the recipe names none (`out/<name>`, recipe/build.ts). */
  defaultOut?: string,
): Promise<ReadonlyMap<string, string>> {
  const saves = [draft.defaults.save, ...draft.passes.map((p) => p.save)].filter(
    (s): s is string => typeof s === 'string',
  );
  const wanted = new Set<string>([
    projectRoot,
    path.resolve(dir, draft.out ?? 'out'),
    ...(draft.out === undefined && defaultOut !== undefined ? [path.resolve(dir, defaultOut)] : []),
    ...saves.map((s) => staticFolder(path.resolve(dir, s))),
    ...sourceFiles(sources),
  ]);
  const pairs = await Promise.all([...wanted].map(async (p) => [p, await realPathDeep(p)] as const));
  return new Map(pairs);
}
