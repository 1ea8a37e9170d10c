/**
 * `kontext merge-lock <base> <ours> <theirs> [path]`: git's merge driver for lock files
 * (`git config merge.kontext.driver 'npx kontext merge-lock %O %A %B %P'`, `.gitattributes`:
 * `*.lock.json merge=kontext`). Writes the merge to `<ours>`, says what it decided on stderr.
 */
import { mergeLockFiles } from '../../index.js';
import type { CliContext } from '../context.js';

export async function mergeLockCommand(
  files: { base: string; ours: string; theirs: string; path: string | undefined },
  opts: Record<string, unknown>,
  ctx: CliContext,
): Promise<number> {
  const cacheDir = typeof opts['cacheDir'] === 'string' ? opts['cacheDir'] : undefined;
  const line = await mergeLockFiles({ ...files, lockPath: files.path, cacheDir }, ctx.rt);
  ctx.rt.stderr.write(`kontext merge-lock: ${line}\n`);
  return 0;
}
