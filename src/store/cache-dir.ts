/**
 * Where the cache lives: one per user and machine, found the same way from any folder.
 * `--cache-dir`, else `KONTEXT_CACHE_DIR`, else `$XDG_CACHE_HOME/kontext`, else
 * `~/.cache/kontext`. Relative choices resolve against the working directory; the default
 * never depends on it, so the same recipe run from anywhere finds the same records.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface CacheDirInputs {
  /** `--cache-dir`, when given. */
  readonly flag?: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/** The absolute cache dir for these inputs (see the module comment for the order). */
export function resolveCacheDir(inputs: CacheDirInputs): string {
  const chosen = inputs.flag || inputs.env['KONTEXT_CACHE_DIR'];
  if (chosen) return resolve(inputs.cwd, chosen);
  const xdg = inputs.env['XDG_CACHE_HOME'];
  // XDG: a relative value is invalid and must be ignored.
  if (xdg?.startsWith('/')) return join(xdg, 'kontext');
  const home = inputs.env['HOME'] || homedir();
  return join(resolve(inputs.cwd, home), '.cache', 'kontext');
}
