/**
 * The report writes only inside `<out>/report/`: each folder it writes into must be a real
 * folder where it stands (no symlink leading elsewhere), checked right before writing.
 */
import { lstat, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { mkdirp } from '../util/mkdir-p.js';
import { ExitCode, KontextError } from '../errors.js';
import { isWithin, realPathDeep } from '../util/real-path.js';
import { writeFailure } from '../store/write-errors.js';

function refused(path: string, why: string): KontextError {
  return new KontextError('E_REPORT_PATH', `refusing to write the report into ${path}: ${why}`, {
    exitCode: ExitCode.CANT_CREAT,
    hint: 'move it away (the report only writes real folders under <out>/report/)',
  });
}

/** Make `dir` (its parent `inside` must already be checked) unless it exists as a real folder. */
export async function ensureRealDir(dir: string, inside: string): Promise<void> {
  if (dirname(dir) !== inside) throw refused(dir, 'not directly inside the report folder');
  await mkdir(dir).catch((e: unknown) => {
    const code = (e as { code?: unknown } | null)?.code;
    if (code === 'EEXIST') return;
    // A read-only or full disk, no permission: the user's to fix, one line naming it (not an internal error).
    if (typeof code !== 'string') throw e;
    throw new KontextError('E_REPORT_PATH', `cannot make the report folder ${dir} (${code})`, {
      exitCode: ExitCode.CANT_CREAT,
      hint: 'make the out folder writable (or free some space), or choose another out: in the recipe',
      cause: e,
    });
  });
  const info = await lstat(dir);
  if (info.isSymbolicLink()) throw refused(dir, 'it is a symlink');
  if (!info.isDirectory()) throw refused(dir, 'it is not a folder');
  if ((await realPathDeep(dir)) !== (await realPathDeep(inside)) + dir.slice(inside.length))
    throw refused(dir, 'it leads somewhere else');
}

/** `<out>` (made when missing) must lie inside the project root, after symlinks, unless allowed. */
export async function checkOutDir(outDir: string, projectRoot: string, allowOutsideRoot: boolean): Promise<void> {
  await mkdirp(outDir).catch((e: unknown) => {
    // A file on the way, no permission, a file system that takes no folders there (/proc): the
    // user's to fix, one line naming the folder (not an internal error).
    const code = (e as { code?: unknown } | null)?.code;
    if (typeof code !== 'string') throw e;
    throw new KontextError('E_REPORT_PATH', `cannot make the out folder ${outDir} for the report (${code})`, {
      exitCode: ExitCode.CANT_CREAT,
      hint: 'choose another out: in the recipe, or move what is in the way',
      cause: e,
    });
  });
  if (allowOutsideRoot) return;
  const [real, root] = await Promise.all([realPathDeep(outDir), realPathDeep(projectRoot)]);
  if (!isWithin(root, real)) throw refused(outDir, `it leads outside the project root (${real})`);
}

/**
 * The page itself could not be written: a folder in its place (a rename onto it says EISDIR), a
 * full or read-only disk: one line naming it, exit 73, not an internal error.
 */
export function pageWriteError(e: unknown, index: string): unknown {
  if ((e as { code?: unknown } | null)?.code === 'EISDIR') {
    return new KontextError('E_REPORT_PATH', `cannot write the report page ${index}: a folder is in its place`, {
      exitCode: ExitCode.CANT_CREAT,
      hint: 'move it away (the report writes its page as a file there)',
      cause: e,
    });
  }
  return writeFailure(e, index, 'the report page was not written');
}
