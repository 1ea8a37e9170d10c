/**
 * Where the cache lives: one per user and machine, found the same way from any folder.
 * `--cache-dir`, else `KONTEXT_CACHE_DIR`, else `$XDG_CACHE_HOME/kontext`, else
 * `~/.cache/kontext`. Relative choices resolve against the working directory; the default
 * never depends on it, so the same recipe run from anywhere finds the same records: an empty
 * `HOME` is the account's home folder (`os.userInfo()`; Node's `homedir()` says `''` for it), and
 * a home that is still empty, or relative, is refused (exit 64) rather than read against the cwd.
 */
import { userInfo } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { UsageError } from '../errors.js';

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
  const home = inputs.env['HOME'] || accountHome();
  if (!isAbsolute(home)) {
    const shown = home === '' ? 'empty, and this account has no home folder' : `relative (${JSON.stringify(home)})`;
    throw new UsageError(`HOME is ${shown}: the default cache dir would depend on the working directory`, {
      hint: 'set HOME to an absolute path, or choose the cache with --cache-dir or KONTEXT_CACHE_DIR',
    });
  }
  return join(home, '.cache', 'kontext');
}

/** The account's home folder from the user database; `''` when it has none (no entry for this uid). */
function accountHome(): string {
  try {
    return userInfo().homedir;
  } catch {
    return '';
  }
}

/** What a cache dir may not hold: the project root, and the recipe's out folder when known. */
export interface CacheDirPlace {
  readonly projectRoot: string;
  readonly outDir?: string | undefined;
}

/**
 * {@link resolveCacheDir}, refusing (UsageError, exit 64) a cache dir that holds the project (the
 * project root itself, or a folder above it) or the recipe's out folder: the cache writes its own
 * `.gitignore` (`*`) and `CACHEDIR.TAG` into its folder, gc skips a folder holding `CACHEDIR.TAG`
 * when it looks for lock files, and no output may be written into the cache, so such a run would
 * pay and then refuse every output. Compared as paths (not through links), before anything is written.
 */
export function placedCacheDir(at: CacheDirPlace, inputs: CacheDirInputs): string {
  const dir = resolveCacheDir(inputs);
  const held = [at.projectRoot, at.outDir].find((p) => p !== undefined && p !== '' && holds(dir, p));
  if (held === undefined) return dir;
  const what = held === at.projectRoot ? 'the project' : 'the out folder';
  const choose = 'choose a folder outside the project with --cache-dir or KONTEXT_CACHE_DIR';
  let named = 'the default cache dir';
  if (inputs.flag) named = '--cache-dir';
  else if (inputs.env['KONTEXT_CACHE_DIR']) named = 'KONTEXT_CACHE_DIR';
  // The default this process would use instead (XDG_CACHE_HOME moves it), unless it is the one refused.
  const fallback = defaultCacheDir(inputs);
  throw new UsageError(`${named} ${dir} holds ${what} ${held}: the cache must be a folder of its own`, {
    hint:
      fallback === dir || fallback === null
        ? choose
        : `${choose}; the default is ${homeShown(fallback, inputs.env['HOME'])}`,
  });
}

/** The default cache dir, without `--cache-dir` or `KONTEXT_CACHE_DIR`; null when HOME gives none. */
function defaultCacheDir(inputs: CacheDirInputs): string | null {
  try {
    return resolveCacheDir({ env: { ...inputs.env, KONTEXT_CACHE_DIR: undefined }, cwd: inputs.cwd });
  } catch {
    return null;
  }
}

/** `path` with the home folder shown as `~`. */
function homeShown(path: string, home: string | undefined): string {
  const h = home?.replace(/\/+$/, '');
  return h && path.startsWith(`${h}/`) ? `~${path.slice(h.length)}` : path;
}

/** Whether `path` is `dir` or inside it. */
function holds(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}
