/**
 * Errors are rendered here and nowhere else: one line a person can act on, the hint in
 * parentheses, the stack only with `--debug`, every known secret scrubbed and control
 * characters escaped (a server's message must not drive the terminal).
 */
import { ExitCode, formatProblem, isKontextError, RecipeError, type ExitCode as Code } from '../index.js';
import {
  escapeControls,
  falKeySecrets,
  osLimitOf,
  PROVIDER_CREDENTIALS,
  proxySecretsIn,
  redactSecrets,
  redactUrlsIn,
} from '../index.js';
import { resolve } from 'node:path';
import { displayPath } from './display-paths.js';

export interface RenderedError {
  readonly lines: readonly string[];
  readonly exitCode: Code;
}

/** Values that must never be printed: tokens and keys from the environment. */
export function secretsFromEnv(env: Readonly<Record<string, string | undefined>>): string[] {
  // Every provider's credential variables (RUNCOMFY_TOKEN, BFL_API_KEY, FAL_KEY, ...) and the AWS ones.
  const providers = Object.values(PROVIDER_CREDENTIALS).flatMap((c) => c.envGroups.flat());
  const names = [...providers, 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_ACCESS_KEY_ID'];
  const values = names.map((n) => env[n]).filter((v): v is string => typeof v === 'string' && v.length > 0);
  // A proxy's user and password (http://user:password@proxy:3128), as written and decoded.
  values.push(...proxySecretsIn(env));
  const fal = env['FAL_KEY'];
  return fal === undefined || fal === '' ? values : [...new Set([...values, ...falKeySecrets(fal)])];
}

export function renderError(
  error: unknown,
  options: {
    debug: boolean;
    secrets: readonly string[];
    /** Where the user stands: a location's file is shown relative to it. */
    cwd?: string | undefined;
    /**
     * The recipe the error is of, as typed, when a command was given several (`run a.yml b.yml`):
     * a line naming no file of its own starts with it (walk-ag 5: `--frozen: 3 nodes …` said no recipe).
     */
    recipe?: string | undefined;
  },
): RenderedError {
  const scrub = (s: string): string => escapeControls(redactUrlsIn(redactSecrets(s, options.secrets)));
  const of = recipePrefix(options.recipe, options.cwd);
  if (error instanceof RecipeError) {
    const lines = error.problems.map((p) => scrub(`${p.location ? '' : of(p.message)}${formatProblem(p)}`));
    return { lines, exitCode: error.exitCode };
  }
  if (isKontextError(error)) {
    const hint = error.hint ? ` (${error.hint})` : '';
    const where = error.location ? '' : of(error.message);
    const lines = [scrub(`kontext: ${where}${located(error.message, error.location, options.cwd)}${hint}`)];
    if (options.debug) lines.push(...stackLines(error, scrub));
    return { lines, exitCode: error.exitCode };
  }
  const message = error instanceof Error ? error.message : String(error);
  // Out of file descriptors, a name too long, where no typed error was made: a limit, not a defect (75, 73).
  const limit = osLimitOf(error);
  if (limit) {
    const lines = [scrub(`kontext: ${of(message)}${message} (${limit.hint})`)];
    if (options.debug) lines.push(...stackLines(error, scrub));
    return { lines, exitCode: limit.exitCode };
  }
  const lines = [scrub(`kontext: ${of(message)}internal error: ${message}`)];
  lines.push(options.debug ? '' : 'run again with --debug for the stack trace, and please report it');
  if (options.debug) lines.push(...stackLines(error, scrub));
  return { lines: lines.filter((l) => l !== ''), exitCode: ExitCode.SOFTWARE };
}

/**
 * A command's error for a `--json` reader, one line on stdout besides the lines on stderr (a
 * `… --json | jq` script sees every failure, not an empty stdout): `code` (an error's own, an OS
 * error's `EMFILE`…, else `E_INTERNAL`: a defect), `exit_code`, and `problems`, the rendered
 * lines without the `kontext: ` prefix (each a `file:line:col: message` where it applies;
 * scrubbed of secrets as they are).
 */
export function errorJson(
  error: unknown,
  options: { secrets: readonly string[]; cwd?: string | undefined },
): { type: 'error'; code: string; exit_code: number; problems: string[] } {
  const rendered = renderError(error, { ...options, debug: false }); // no stack in the JSON
  // A KontextError's code, or an OS error's (`EMFILE`); a defect has none of its own.
  const own = (error as { code?: unknown } | null)?.code;
  const code = typeof own === 'string' ? own : 'E_INTERNAL';
  const problems = rendered.lines.filter((l) => !l.startsWith('run again with --debug'));
  return {
    type: 'error',
    code,
    exit_code: rendered.exitCode,
    problems: problems.map((l) => l.replace(/^kontext: /, '')),
  };
}

/** `file:line:col: message`, the file relative to `cwd`, said once even when the message starts with it. */
/**
 * `<recipe>: ` before a message that does not name the recipe already (as typed, or its absolute
 * path: a recipe not found says which); nothing without a recipe.
 */
function recipePrefix(recipe: string | undefined, cwd: string | undefined): (message: string) => string {
  if (recipe === undefined) return () => '';
  const full = cwd === undefined ? recipe : resolve(cwd, recipe);
  return (message) => (message.includes(recipe) || message.includes(full) ? '' : `${recipe}: `);
}

function located(
  message: string,
  location: { readonly file: string; readonly line: number; readonly col: number } | undefined,
  cwd: string | undefined,
): string {
  if (!location) return message;
  const { file, line, col } = location;
  const raw = `${file}:${line}:${col}: `;
  const rest = message.startsWith(raw) ? message.slice(raw.length) : message;
  return `${cwd === undefined ? file : displayPath(file, cwd)}:${line}:${col}: ${rest}`;
}

function stackLines(error: unknown, scrub: (s: string) => string): string[] {
  const out: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    out.push(
      scrub(depth === 0 ? (current.stack ?? current.message) : `caused by: ${current.stack ?? current.message}`),
    );
    current = current.cause;
  }
  return out;
}
