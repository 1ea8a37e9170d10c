/** The local files a recipe's sources name. */
import type { Source } from './types.js';

/** Every local file the sources name, glob matches included, in order (a URL source names none). */
export function sourceFiles(sources: readonly Pick<Source, 'instances'>[]): string[] {
  return sources.flatMap((s) => s.instances.flatMap((i) => (i.path === undefined ? [] : [i.path])));
}
