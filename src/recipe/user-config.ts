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
import { closest } from '../util/did-you-mean.js';
import {
  countValueMembers,
  findJsonDuplicateKey,
  findJsonSyntaxError,
  formatPath,
  jsonMembersAtMost,
  lineCol,
  locatePath,
} from '../util/json-locate.js';

const UserConfigSchema = z
  .object({
    hosting: HostingSchema.optional().describe('Default hosting for recipes (and `kontext edit`) that name none'),
    cache: CacheSchema.optional().describe(
      '`remote`: the shared remote cache for every recipe (README "Remote cache")',
    ),
    max_cost: z
      .number()
      .min(0, 'must be 0 or more (US dollars)')
      .optional()
      .describe(
        'Without --max-cost (or KONTEXT_MAX_COST), the limit in US dollars on what one `kontext run` may spend',
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
  /** The default `--max-cost` (run/cost-limit.ts). */
  readonly max_cost?: number | undefined;
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
    // Where it goes wrong as line:col, as for a lock or a scenario file (JSON.parse's "position 47" is no line).
    const found = findJsonSyntaxError(text) ?? { offset: 0, message: (e as Error).message };
    throw configError(path, file, text, found.offset, `not valid JSON: ${found.message}`, e);
  }
  // A key given twice: JSON.parse keeps the later value and drops the earlier without a word, and
  // every message would point at the earlier one. Refused at the second, as the lock refuses it.
  const dup = jsonMembersAtMost(text) === countValueMembers(data) ? null : findJsonDuplicateKey(text);
  if (dup !== null) {
    const where = dup.path.length === 0 ? '' : `${formatPath(dup.path)}: `;
    const first = lineCol(text, dup.first).line;
    throw configError(
      path,
      file,
      text,
      dup.offset,
      `${where}key ${JSON.stringify(dup.key)} appears twice (first at line ${first})`,
    );
  }
  const parsed = UserConfigSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const { offset, message } = issue ? issueText(issue, data, text) : { offset: 0, message: 'invalid' };
    throw configError(path, file, text, offset, message);
  }
  return { ...(parsed.data as UserConfig), file };
}

function configError(path: string, file: string, text: string, offset: number, what: string, cause?: unknown) {
  const { line, col } = lineCol(text, offset);
  return new KontextError('E_USER_CONFIG', `${path}:${line}:${col}: ${what}`, {
    exitCode: ExitCode.DATA_ERR,
    hint: `fix your user config (${file}), or move it away to go without it`,
    location: { file: path, line, col },
    ...(cause !== undefined && { cause }),
  });
}

/**
 * A schema problem as a plain sentence, and the offset of the key it is about: a missing key at
 * the object that lacks it ("hosting: required key "bucket" is missing"), an unknown key at itself.
 */
function issueText(issue: z.core.$ZodIssue, data: unknown, text: string): { offset: number; message: string } {
  const path = issue.path;
  const at = (p: readonly PropertyKey[]): string => (p.length === 0 ? '' : `${formatPath(p)}: `);
  if (issue.code === 'invalid_type' && path.length > 0 && valueAt(data, path) === undefined) {
    const parent = path.slice(0, -1);
    const message = `${at(parent)}required key "${String(path.at(-1))}" is missing`;
    return { offset: locatePath(text, parent), message };
  }
  if (issue.code === 'unrecognized_keys') {
    const [key = ''] = issue.keys;
    const near = path.length === 0 ? closest(key, Object.keys(UserConfigSchema.shape)) : undefined;
    const message = `${at(path)}unknown key "${key}"${near === undefined ? '' : ` (did you mean "${near}"?)`}`;
    return { offset: locatePath(text, [...path, key]), message };
  }
  return { offset: locatePath(text, path), message: `${at(path)}${plainMessage(issue, valueAt(data, path))}` };
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
};

/** zod's message in words ("must be a string, not 5"), else as zod says it. */
function plainMessage(issue: z.core.$ZodIssue, value: unknown): string {
  if (issue.code === 'too_small' && issue.origin === 'string' && Number(issue.minimum) === 1)
    return 'must not be empty';
  if (issue.code !== 'invalid_type') return issue.message;
  return `must be ${TYPE_NAMES[issue.expected] ?? issue.expected}, not ${describeValue(value)}`;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  const shown = JSON.stringify(v) ?? typeof v;
  return shown.length > 40 ? `${shown.slice(0, 37)}...` : shown;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur = data;
  for (const seg of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}
