/**
 * Typed errors, thrown by library code and rendered once by `src/cli`.
 * Every error carries a stable `code`, the process exit code it maps to (sysexits, docs/architecture.md#exit-codes)
 * and an optional hint a person can act on.
 */

/** Exit codes (sysexits, as the RunComfy CLI uses). */
export const ExitCode = {
  OK: 0,
  /** A pass failed remotely (model error, moderation). */
  REMOTE_FAILED: 1,
  /** Bad command-line usage. */
  USAGE: 64,
  /** Invalid recipe, or input rejected by the API (4xx). */
  DATA_ERR: 65,
  /** A source file is missing. */
  NO_INPUT: 66,
  /** Upstream unavailable (5xx after retries). */
  UNAVAILABLE: 69,
  /** Internal error. */
  SOFTWARE: 70,
  /** An output file cannot be written (permissions, read-only or full disk, a file where a folder should be). */
  CANT_CREAT: 73,
  /** Temporary failure (429 / timeout after retries). */
  TEMP_FAIL: 75,
  /** Not signed in, or token rejected. */
  NO_PERM: 77,
  /** Interrupted (Ctrl-C). */
  INTERRUPTED: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * Which exit code wins when several nodes fail differently: what a person must fix first
 * (interruption, our own bug, credentials, the recipe) beats what may pass on its own.
 */
const SEVERITY: readonly ExitCode[] = [
  ExitCode.OK,
  ExitCode.REMOTE_FAILED,
  ExitCode.TEMP_FAIL,
  ExitCode.UNAVAILABLE,
  ExitCode.DATA_ERR,
  ExitCode.NO_INPUT,
  ExitCode.CANT_CREAT,
  ExitCode.USAGE,
  ExitCode.NO_PERM,
  ExitCode.SOFTWARE,
  ExitCode.INTERRUPTED,
];

/** The more severe of two exit codes. */
export function worstExitCode(a: ExitCode, b: ExitCode): ExitCode {
  return SEVERITY.indexOf(b) > SEVERITY.indexOf(a) ? b : a;
}

/** A 1-based position in a file, as a person reads it in an editor. */
export interface SourceLocation {
  /** The path as the user typed it (not resolved), so messages match what they wrote. */
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export interface KontextErrorOptions {
  readonly exitCode?: ExitCode;
  readonly hint?: string;
  readonly cause?: unknown;
  readonly location?: SourceLocation;
}

/** Base of every error the library throws on purpose. */
export class KontextError extends Error {
  override readonly name: string = 'KontextError';
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  readonly location: SourceLocation | undefined;

  constructor(code: string, message: string, options: KontextErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.exitCode = options.exitCode ?? ExitCode.SOFTWARE;
    this.hint = options.hint;
    this.location = options.location;
  }
}

/** Bad command-line usage (exit 64). */
export class UsageError extends KontextError {
  override readonly name = 'UsageError';
  constructor(message: string, options: Omit<KontextErrorOptions, 'exitCode'> = {}) {
    super('E_USAGE', message, { ...options, exitCode: ExitCode.USAGE });
  }
}

/** The run was interrupted (Ctrl-C, exit 130). */
export class InterruptedError extends KontextError {
  override readonly name = 'InterruptedError';
  /**
   * What interrupted it, as a message says "… after `by`": `Ctrl-C` (SIGINT), `the interrupt (SIGTERM)`
   * (a CI cancel, `timeout`, `docker stop`); undefined when not known (an embedder's AbortSignal).
   */
  readonly by: string | undefined;
  constructor(
    message = 'interrupted',
    options: Omit<KontextErrorOptions, 'exitCode'> & { readonly by?: string | undefined } = {},
  ) {
    super('E_INTERRUPTED', message, { ...options, exitCode: ExitCode.INTERRUPTED });
    this.by = options.by;
  }
}

/** One problem found in a recipe. Rules collect all of them before anything fails. */
export interface Problem {
  /** Stable rule/check id, e.g. `unknown-key`, `from-unknown`, `lint/compound-edit`. */
  readonly code: string;
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly hint?: string;
  readonly location?: SourceLocation;
  /** Path inside the recipe document, e.g. `['passes', 2, 'from']`. */
  readonly path?: readonly (string | number)[];
  /** Exit code this problem implies when it is an error (65 unless e.g. a source is missing: 66). */
  readonly exitCode?: ExitCode;
}

/** A recipe failed validation: carries every problem found (exit 65, or 66 for missing sources). */
export class RecipeError extends KontextError {
  override readonly name = 'RecipeError';
  readonly problems: readonly Problem[];

  constructor(problems: readonly Problem[], options: Omit<KontextErrorOptions, 'exitCode'> = {}) {
    const errors = problems.filter((p) => p.severity === 'error');
    const first = errors[0] ?? problems[0];
    const exitCode = errors.reduce<ExitCode>(
      (acc, p) => worstExitCode(acc, p.exitCode ?? ExitCode.DATA_ERR),
      ExitCode.OK,
    );
    super('E_RECIPE_INVALID', first ? first.message : 'invalid recipe', {
      ...options,
      exitCode: exitCode === ExitCode.OK ? ExitCode.DATA_ERR : exitCode,
      location: first?.location,
    });
    this.problems = problems;
  }
}

/** Format a problem as `file:line:col: message (hint)` — the one-line form the CLI prints. */
export function formatProblem(p: Problem): string {
  const where = p.location ? `${p.location.file}:${p.location.line}:${p.location.col}: ` : '';
  // A prompt-lint finding names its rule as an error too (--strict, an empty prompt): what to look up or waive.
  const rule = p.severity === 'warning' || p.code.startsWith('lint/') ? ` [${p.code}]` : '';
  const hint = p.hint ? ` (${p.hint})` : '';
  return `${where}${p.severity === 'warning' ? 'warning: ' : ''}${p.message}${hint}${rule}`;
}

export function isKontextError(e: unknown): e is KontextError {
  return e instanceof KontextError;
}

/**
 * A KontextError as lines, one per problem (a `watch-error` event's, the served report's errors),
 * each at its `file:line:col` when it has one (a source hosting refuses: where the recipe names it),
 * said once even when the message starts with it.
 */
export function problemLines(e: KontextError): string[] {
  if (e instanceof RecipeError) {
    const errors = e.problems.filter((p) => p.severity === 'error');
    return (errors.length > 0 ? errors : e.problems).map((p) => formatProblem(p));
  }
  const at = e.location;
  const where = at === undefined ? '' : `${at.file}:${at.line}:${at.col}: `;
  const message = where !== '' && e.message.startsWith(where) ? e.message.slice(where.length) : e.message;
  const location = at === undefined ? {} : { location: at };
  return [
    formatProblem({ code: e.code, severity: 'error', message, ...location, ...(e.hint ? { hint: e.hint } : {}) }),
  ];
}
