/**
 * Where a one-off edit (`kontext edit`) may write, decided before it pays. Its result is saved
 * under the extension of what arrives (`-o cat.jpg` holding a PNG is written as `cat.png`), so
 * the file checked ahead is the one the model's default format gives: it may not be in `.git`,
 * in the cache dir or the input image itself (the write guard's rules). A result in another
 * format meets the same guard when it is written.
 */
import { join } from 'node:path';
import { KontextError } from '../errors.js';
import { expectedOutputFormat, extensionOf } from '../models/output-format.js';
import { lookupModel } from '../models/registry.js';
import type { ProviderName } from '../models/types.js';
import type { Store } from '../store/types.js';
import { buildWriteGuard, checkWriteTarget, type WriteGuard } from '../store/write-guard.js';

export interface EditTarget {
  /** The output's folder and its file name without the extension. */
  readonly outDir: string;
  readonly name: string;
  /** The local input image (never overwritten), if not a URL. */
  readonly input: string | undefined;
  readonly projectRoot: string;
  readonly provider: ProviderName;
  readonly model: string;
}

const REFUSED_HINT = 'pass another -o: an edit’s output may not land in .git, in the cache dir or on its input image';

/** The guard the edit writes under; throws (exit 65) when its output path is refused. */
export async function editWriteGuard(target: EditTarget, store: Store): Promise<WriteGuard> {
  const ext = extensionOf(expectedOutputFormat(lookupModel(target.provider, target.model), {}) ?? 'png');
  const expected = join(target.outDir, `${target.name}.${ext}`);
  const guard = await buildWriteGuard({
    projectRoot: target.projectRoot,
    allowOutsideRoot: true,
    protectedFiles: target.input === undefined ? [] : [target.input],
    cacheDir: store.root,
  });
  try {
    await checkWriteTarget(expected, guard);
  } catch (e) {
    if (e instanceof KontextError && e.code === 'E_WRITE_REFUSED')
      throw new KontextError(e.code, e.message, { exitCode: e.exitCode, hint: REFUSED_HINT, cause: e });
    throw e;
  }
  return guard;
}
