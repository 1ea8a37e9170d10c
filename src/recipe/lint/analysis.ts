import type { Span, WordHit } from './types.js';
import { maskQuoted } from './text.js';
import { findEditActions } from './edit-actions.js';
import { editsOutside, hasPreservation, preservationSpans } from './preservation.js';

/** What several rules need to know about a prompt; cheap enough to compute per rule. */
export interface PromptAnalysis {
  /** The prompt with quoted text blanked out (same length). */
  masked: string;
  /** Preservation clauses ("Keep … unchanged", "…, keeping her pose"). */
  preservation: Span[];
  /** Imperative edit actions outside preservation clauses, in order. */
  edits: WordHit[];
  /** Whether the prompt asks to keep anything as it is. */
  preserves: boolean;
}

export function analyzePrompt(prompt: string): PromptAnalysis {
  const masked = maskQuoted(prompt);
  const actions = findEditActions(masked);
  const preservation = preservationSpans(masked, actions);
  return {
    masked,
    preservation,
    edits: editsOutside(actions, preservation),
    preserves: hasPreservation(masked, preservation),
  };
}
