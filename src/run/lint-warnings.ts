/**
 * Prompt-lint findings reach the user before the first request (docs/architecture.md#one-node-end-to-end):
 * a recipe's warnings and an edit's `--prompt` findings become `warning` events, emitted before
 * anything is hosted or submitted; errors (an empty prompt, anything under `--strict`) stop here.
 */
import { RecipeError, type Problem } from '../errors.js';
import { promptProblems } from '../recipe/index.js';
import type { RunEvent } from './events.js';

/** One `warning` event per problem, worded like `kontext validate` (without its `warning:` prefix). */
export function emitWarnings(problems: readonly Problem[], onEvent: (event: RunEvent) => void): void {
  for (const p of problems) {
    const where = p.location ? `${p.location.file}:${p.location.line}:${p.location.col}: ` : '';
    const hint = p.hint ? ` (${p.hint})` : '';
    onEvent({ type: 'warning', t: 0, message: `${where}${p.message}${hint} [${p.code}]` });
  }
}

/** Lint a command-line prompt: throw (exit 65) on errors, otherwise report the warnings. */
export function checkPromptLint(
  prompt: string,
  options: { readonly strict: boolean; readonly label: string },
  onEvent: (event: RunEvent) => void,
): void {
  const problems = promptProblems(prompt, options);
  if (problems.some((p) => p.severity === 'error')) throw new RecipeError(problems);
  emitWarnings(problems, onEvent);
}
