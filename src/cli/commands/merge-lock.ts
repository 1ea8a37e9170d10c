/**
 * `kontext merge-lock <base> <ours> <theirs> [path]`: git's merge driver for lock files
 * (`git config merge.kontext.driver 'npx --no kontext merge-lock %O %A %B %P'`, `.gitattributes`:
 * `*.lock.json merge=kontext`). Writes the merge to `<ours>`, says what it decided on stderr;
 * exit 1 when it left nodes conflicted (markers in `<ours>`, for `kontext run` to decide).
 */
import { mergeLockFiles } from '../../index.js';
import type { CliContext } from '../context.js';

export async function mergeLockCommand(
  files: { base: string; ours: string; theirs: string; path: string | undefined },
  opts: Record<string, unknown>,
  ctx: CliContext,
): Promise<number> {
  const cacheDir = typeof opts['cacheDir'] === 'string' ? opts['cacheDir'] : undefined;
  const merged = await mergeLockFiles({ ...files, lockPath: files.path, cacheDir }, ctx.rt);
  ctx.rt.stderr.write(`kontext merge-lock: ${merged.message}\n`);
  // Non-zero tells git the merge left conflicts: the lock is reported conflicted, as without the driver.
  return merged.conflicted.length === 0 ? 0 : 1;
}
