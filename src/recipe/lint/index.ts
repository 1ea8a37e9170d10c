/**
 * Prompt lint: advice from the Flux Kontext prompting guide (one declarative edit per pass,
 * preservation first, active voice, a single reference image), as a table of small rules.
 * Pure functions over the prompt text; the recipe validator maps offsets to lines and reports
 * findings as warnings (`--strict`: errors).
 */
import type { LintFinding, LintRule } from './types.js';
import { compoundEdit } from './rules/compound-edit.js';
import { passiveVoice } from './rules/passive-voice.js';
import { missingPreservation } from './rules/missing-preservation.js';
import { emptyPrompt, longPrompt } from './rules/length.js';
import { multipleImages } from './rules/multiple-images.js';

export type { LintFinding, LintRule } from './types.js';

/** Every rule, in reporting order (also the table in the README). */
export const LINT_RULES: readonly LintRule[] = [
  emptyPrompt,
  longPrompt,
  compoundEdit,
  passiveVoice,
  missingPreservation,
  multipleImages,
];

/** Lint one pass prompt; findings come ordered by offset, then by rule order. */
export function lintPrompt(prompt: string): LintFinding[] {
  // Array#sort is stable, so findings at the same offset keep the table order.
  return LINT_RULES.flatMap((rule) => rule.check(prompt)).sort((a, b) => (a.offset ?? 0) - (b.offset ?? 0));
}
