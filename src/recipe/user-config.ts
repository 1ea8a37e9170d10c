/**
 * The user-level config, `<config dir>/config.json` (`KONTEXT_CONFIG_DIR`, else
 * `$XDG_CONFIG_HOME/kontext`, else `~/.config/kontext`): defaults that belong to a person's
 * machine rather than a shared recipe, such as where to host local images.
 */
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { ExitCode, KontextError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import { CacheSchema, HostingSchema } from './schema.js';
import type { HostingConfig } from './types.js';
import { READ_CAPS, readBoundedText } from '../util/read-bounded.js';

const UserConfigSchema = z
  .object({
    hosting: HostingSchema.optional().describe('Default hosting for recipes (and `kontext edit`) that name none'),
    cache: CacheSchema.optional().describe(
      '`remote`: the shared remote cache for every recipe (README "Remote cache")',
    ),
    allowed_source_roots: z
      .array(z.string().min(1))
      .optional()
      .describe(
        'Folders outside a project that recipe sources may live in (or link into); ' +
          '`~/` is your home, relative paths start at this file',
      ),
  })
  .strict();

export interface UserConfig {
  readonly hosting?: HostingConfig | undefined;
  /** `cache.remote`: the user's shared remote cache (`s3://bucket/prefix`). */
  readonly cache?: { readonly remote?: string | undefined } | undefined;
  /** As written; see {@link allowedSourceRoots}. */
  readonly allowed_source_roots?: readonly string[] | undefined;
  /** The file it is read from (whether or not it exists), as hints name it: {@link userConfigName}. */
  readonly file?: string | undefined;
}

/** The user's `allowed_source_roots` as absolute paths (`~/` expanded, relative to the config file). */
export function allowedSourceRoots(config: UserConfig, rt: Runtime): string[] {
  const home = rt.env['HOME'];
  const base = dirname(userConfigPath(rt) ?? join(rt.cwd, 'config.json'));
  return (config.allowed_source_roots ?? []).map((r) => {
    if ((r === '~' || r.startsWith('~/')) && home) return join(home, r.slice(1));
    return isAbsolute(r) ? resolve(r) : resolve(base, r);
  });
}

/**
 * The user config file this process reads, for hints that tell the user to edit it: the home
 * folder shown as `~`; `$KONTEXT_CONFIG_DIR/config.json` when nothing names one (no HOME).
 */
export function userConfigName(rt: Pick<Runtime, 'env'>): string {
  const path = userConfigPath(rt);
  if (path === null) return '$KONTEXT_CONFIG_DIR/config.json';
  const home = rt.env['HOME']?.replace(/\/+$/, '');
  return home && path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
}

function userConfigPath(rt: Pick<Runtime, 'env'>): string | null {
  const explicit = rt.env['KONTEXT_CONFIG_DIR'];
  if (explicit) return join(explicit, 'config.json');
  const xdg = rt.env['XDG_CONFIG_HOME'];
  // XDG: a relative value is invalid and must be ignored (as the cache dir's XDG_CACHE_HOME is).
  if (xdg?.startsWith('/')) return join(xdg, 'kontext', 'config.json');
  const home = rt.env['HOME'];
  return home ? join(home, '.config', 'kontext', 'config.json') : null;
}

/** Read the user config; a missing file is an empty config, a broken one an error naming it. */
export async function loadUserConfig(rt: Runtime): Promise<UserConfig> {
  const path = userConfigPath(rt);
  if (path === null) return {};
  const file = userConfigName(rt);
  let text: string;
  try {
    text = await readBoundedText(path, READ_CAPS.userConfig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { file };
    throw new KontextError('E_USER_CONFIG', `${path}: cannot read (${(e as Error).message})`, {
      exitCode: ExitCode.DATA_ERR,
      ...(e instanceof KontextError && e.hint ? { hint: e.hint } : {}),
      cause: e,
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new KontextError('E_USER_CONFIG', `${path}: not valid JSON (${(e as Error).message})`, {
      exitCode: ExitCode.DATA_ERR,
    });
  }
  const parsed = UserConfigSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : '(top level)';
    const at = valuePosition(text, issue?.path ?? []);
    throw new KontextError('E_USER_CONFIG', `${path}${at}: ${where}: ${issue?.message ?? 'invalid'}`, {
      exitCode: ExitCode.DATA_ERR,
    });
  }
  return { ...(parsed.data as UserConfig), file };
}

/**
 * `:line:col` of the value at `path` in the config's text: found by its keys in order (a small
 * hand-written file names each key once), `''` when a key cannot be found.
 */
function valuePosition(text: string, path: readonly PropertyKey[]): string {
  let offset = 0;
  for (const key of path) {
    if (typeof key !== 'string') return '';
    const found = new RegExp(`${JSON.stringify(key).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*:\\s*`, 'g');
    found.lastIndex = offset;
    const m = found.exec(text);
    if (m === null) return '';
    offset = m.index + m[0].length;
  }
  if (path.length === 0) return '';
  const before = text.slice(0, offset).split('\n');
  return `:${before.length}:${(before[before.length - 1]?.length ?? 0) + 1}`;
}
