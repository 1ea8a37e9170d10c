/**
 * `kontext validate`'s look at the local source images a run would host: what `run` (and
 * `--dry-run`) refuse at their preflight (guard.ts, exit 65) from the file's head and tail, so
 * validate does not say ok for a source the run refuses: a header declaring more pixels than an
 * input may have (a decompression bomb), an image cut short. Cheap: no PNG CRC pass (a PNG
 * garbled in the middle is still found by the run only).
 */
import pLimit from 'p-limit';
import { ExitCode, type Problem } from '../errors.js';
import type { Source } from '../recipe/types.js';
import { fileReader } from '../util/image-probe.js';
import { checkInputHeader } from './image-check.js';

/** Files checked at once. */
const AT_ONCE = 16;

/** One error per local source file the run would refuse, at its source's `recipe.yml:line:col`. */
export async function sourceImageProblems(sources: readonly Source[]): Promise<Problem[]> {
  const limit = pLimit(AT_ONCE);
  const files = sources.flatMap((source) =>
    source.instances.flatMap((i) => (i.path === undefined ? [] : [{ source, path: i.path }])),
  );
  const found = await Promise.all(files.map(({ source, path }) => limit(() => problemOf(source, path))));
  return found.filter((p): p is Problem => p !== null);
}

async function problemOf(source: Source, path: string): Promise<Problem | null> {
  let reader: Awaited<ReturnType<typeof fileReader>>;
  try {
    reader = await fileReader(path);
  } catch {
    return null; // unreadable or gone: the recipe's own checks said so, or the run will
  }
  try {
    const check = await checkInputHeader(reader);
    if (check.ok) return null;
    const shown = source.kind === 'glob' ? `${source.spec} (${path})` : source.spec;
    return {
      code: 'source-not-hostable',
      severity: 'error',
      message: `sources.${source.name}: "${shown}": ${check.problem}; a run refuses to host it`,
      hint: 'kontext sends the API only whole images of a sane size: export the file again, or scale it down',
      ...(source.location ? { location: source.location } : {}),
      path: ['sources', source.name],
      exitCode: ExitCode.DATA_ERR,
    };
  } finally {
    await reader.close?.();
  }
}
