/** One prompt-lint warning. Findings are advice: `--strict` turns them into errors. */
export interface LintFinding {
  /** Stable rule id, e.g. `compound-edit`. */
  rule: string;
  /** What is wrong, in words a person can act on. */
  message: string;
  /** How to fix it. */
  hint?: string;
  /** Char index in the prompt where the problem is (the caller maps it to a line). */
  offset?: number;
  /** An error even without `--strict` (an empty prompt: nothing to send). */
  error?: boolean;
}

/** A lint rule: a small pure function over the prompt text, listed in `LINT_RULES`. */
export interface LintRule {
  /** Stable id, kebab-case; what findings carry in `rule`. */
  readonly id: string;
  /** One line for the docs. */
  readonly description: string;
  readonly check: (prompt: string) => LintFinding[];
}

/** A half-open range of char offsets `[start, end)`. */
export interface Span {
  start: number;
  end: number;
}

/** A word found in the prompt, lower-cased, with its offset. */
export interface WordHit {
  word: string;
  offset: number;
}
