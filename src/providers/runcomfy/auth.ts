/**
 * Token, base URL and download allow-list from the environment, compatible with the official
 * RunComfy CLI (same env names, same `token.json`). Reads env only through the Runtime.
 */
import { stat } from 'node:fs/promises';
import { platform } from 'node:os';
import { join } from 'node:path';
import type { Runtime } from '../../runtime.js';
import { AuthError } from './errors.js';
import { parseAllowHosts } from './host-allow.js';
import { checkKeyChars } from '../wire/token-chars.js';
import { findJsonSyntaxError, lineCol } from '../../util/json-locate.js';
import { isBoundedReadError, READ_CAPS, readBoundedText } from '../../util/read-bounded.js';

const DEFAULT_BASE_URL = 'https://model-api.runcomfy.net/v1';
const SIGN_IN_HINT = 'set RUNCOMFY_TOKEN or run `runcomfy login`';

export interface ResolvedToken {
  readonly token: string;
  readonly source: 'env' | 'file';
  /** The token file, when the token came from one. */
  readonly file?: string;
  /** Set when the token file is readable by group or others. */
  readonly warning?: string;
}

/** Where the official CLI keeps `token.json`; `undefined` when no home is known. */
function configDir(rt: Runtime): string | undefined {
  const env = rt.env;
  const explicit = env['RUNCOMFY_CONFIG_DIR']?.trim();
  if (explicit) return explicit;
  const xdg = env['XDG_CONFIG_HOME']?.trim();
  if (xdg) return join(xdg, 'runcomfy');
  const home = env['HOME']?.trim() || env['USERPROFILE']?.trim();
  return home ? join(home, '.config', 'runcomfy') : undefined;
}

/** No token anywhere (no variable, no token file, or no config folder): not one that is there but unusable. */
export class NoTokenError extends AuthError {}

/**
 * The API token: `RUNCOMFY_TOKEN` (trimmed, non-empty) wins, else `access_token` in
 * `<config dir>/token.json`. Throws {@link AuthError} (exit 77) when there is none, so a run
 * fails before it makes any request.
 */
export async function resolveToken(rt: Runtime): Promise<ResolvedToken> {
  const fromEnv = rt.env['RUNCOMFY_TOKEN']?.trim();
  if (fromEnv) return { token: checkKeyChars(fromEnv, 'RUNCOMFY_TOKEN', SIGN_IN_HINT), source: 'env' };
  const dir = configDir(rt);
  if (!dir)
    throw new NoTokenError('not signed in: RUNCOMFY_TOKEN is not set and no config folder is known (HOME is unset)');
  const file = join(dir, 'token.json');
  let text: string;
  try {
    // Bounded: a token.json that is a symlink to /dev/zero, a FIFO or a huge file is refused at once.
    text = await readBoundedText(file, READ_CAPS.token);
  } catch (e) {
    if (isBoundedReadError(e)) {
      const what = e.refusal === 'too-large' ? `larger than ${READ_CAPS.token} bytes` : 'not a regular file';
      throw new AuthError(`not signed in: the token file ${file} is ${what}; refusing to read it`, {
        hint: `replace ${file} with the token.json written by \`runcomfy login\`, or set RUNCOMFY_TOKEN`,
        cause: e,
      });
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new NoTokenError(`not signed in: RUNCOMFY_TOKEN is not set and there is no token file at ${file}`);
    throw new AuthError(`not signed in: cannot read the token file (${code ?? 'error'}) at ${file}`);
  }
  const syntax = findJsonSyntaxError(text);
  if (syntax !== null) {
    // Its position only: the scanner's message may quote the text, which holds the token.
    const { line, col } = lineCol(text, syntax.offset);
    throw new AuthError(`not signed in: ${file}:${line}:${col}: the token file is not valid JSON`);
  }
  const token = accessTokenIn(text);
  if (!token) throw new AuthError(`not signed in: ${file} has no access_token`);
  checkKeyChars(token, `the access_token of ${file}`, SIGN_IN_HINT);
  const warning = await permissionWarning(file);
  return { token, source: 'file', file, ...(warning ? { warning } : {}) };
}

/** The `access_token` of a token file's JSON text (its syntax checked first). */
function accessTokenIn(text: string): string | undefined {
  try {
    const data: unknown = JSON.parse(text);
    if (data === null || typeof data !== 'object') return undefined;
    const t = (data as Record<string, unknown>)['access_token'];
    return typeof t === 'string' && t.trim() !== '' ? t.trim() : undefined;
  } catch {
    return undefined;
  }
}

/** POSIX permission bits only mean something off Windows. */
async function permissionWarning(file: string): Promise<string | undefined> {
  if (platform() === 'win32') return undefined;
  try {
    const mode = (await stat(file)).mode;
    if ((mode & 0o044) === 0) return undefined;
    return `${file} is readable by other users (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${file}`;
  } catch {
    return undefined;
  }
}

/** `RUNCOMFY_MODEL_API_BASE` (includes `/v1`), trimmed, without a trailing `/`; else the public API. */
export function resolveBaseUrl(rt: Runtime): string {
  const raw = rt.env['RUNCOMFY_MODEL_API_BASE']?.trim();
  return (raw ? raw : DEFAULT_BASE_URL).replace(/\/+$/, '');
}

/** Extra exact hosts outputs may be downloaded from (`KONTEXT_ALLOW_HOSTS`, comma-separated). */
export function allowedHosts(rt: Runtime): string[] {
  return parseAllowHosts(rt.env['KONTEXT_ALLOW_HOSTS']);
}
