/**
 * Where a one-off edit (`kontext edit`) may write, decided before it pays. Its result is saved
 * under the extension of what arrives (`-o cat.jpg` holding a PNG is written as `cat.png`), so
 * the file checked ahead is the one the model's default format gives (a cache hit's own): it may
 * not be in `.git`, in the cache dir or the input image itself (the write guard's rules), nor any
 * file already there, unless `--overwrite`: whoever wrote it (a picture of the user's, an earlier
 * edit's result, a recipe's output its lock names), an edit has no lock to record what it
 * replaced, and a recipe's next run would find its output changed (or silently put back over the
 * edit's paid result). Only a file holding the cache hit the edit will write is left as it is (up
 * to date). Such files at the other extensions a result could take are guarded too, for a result
 * in another format: refused when it arrives, never overwritten. The scheduler checks the same
 * rule again right before the write (a file put there while the edit ran; hand-edits.ts).
 */
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProviderName } from '../models/types.js';
import type { Store } from '../store/types.js';
import { buildWriteGuard, checkWriteTarget, type WriteGuard } from '../store/write-guard.js';
import { HandEditedOutputError, requestedExtension } from './hand-edits.js';
import { OUTPUT_EXTENSIONS } from './outputs.js';

export interface EditTarget {
  /** The output's folder and its file name without the extension. */
  readonly outDir: string;
  readonly name: string;
  /** The local input image (never overwritten), if not a URL. */
  readonly input: string | undefined;
  readonly projectRoot: string;
  readonly provider: ProviderName;
  readonly model: string;
  /** `--overwrite`: a file already at the output path may be replaced. */
  readonly overwrite: boolean;
  /** The cache hit the edit will write (`--seed` repeating an edit), if any. */
  readonly hit?: { readonly sha256: string; readonly ext: string } | undefined;
}

const REFUSED_HINT =
  'pass another -o: an edit’s output may not land in .git, in the cache dir, on its input image or, ' +
  'unless --overwrite, on a file already there';
/** A file at another extension the result could take: refused if the result arrives in that format. */
const ALREADY_THERE = 'a file that was there before the edit';

/** The guard the edit writes under; throws (exit 65) when its output path is refused. */
export async function editWriteGuard(target: EditTarget, store: Store): Promise<WriteGuard> {
  const ext = target.hit?.ext ?? requestedExtension(target.provider, target.model, {}, undefined);
  const expected = join(target.outDir, `${target.name}.${ext}`);
  const input = target.input === undefined ? [] : [{ path: target.input, what: "the edit's input image" }];
  const guard = (extra: readonly string[]): Promise<WriteGuard> =>
    buildWriteGuard({
      projectRoot: target.projectRoot,
      allowOutsideRoot: true,
      protectedFiles: [...input, ...extra.map((path) => ({ path, what: ALREADY_THERE }))],
      cacheDir: store.root,
      refusedHint: REFUSED_HINT,
    });
  await checkWriteTarget(expected, await guard([]));
  if (target.overwrite) return guard([]);
  const candidates = [...new Set([ext, ...OUTPUT_EXTENSIONS])].map((e) => join(target.outDir, `${target.name}.${e}`));
  const foreign = await existingOtherThan(candidates, store, target.hit?.sha256);
  const mine = foreign.find((f) => f.path === expected);
  if (mine !== undefined) throw new HandEditedOutputError(expected, mine.sha256, undefined, true);
  return guard(foreign.map((f) => f.path));
}

/** The files among `paths` that exist and hold other bytes than `same` (what the edit will write). */
async function existingOtherThan(
  paths: readonly string[],
  store: Store,
  same: string | undefined,
): Promise<{ readonly path: string; readonly sha256: string }[]> {
  const found: { path: string; sha256: string }[] = [];
  for (const path of paths) {
    if (!(await lstat(path).catch(() => null))?.isFile()) continue;
    const { sha256 } = await store.hashSource(path);
    if (sha256 !== same) found.push({ path, sha256 });
  }
  return found;
}
