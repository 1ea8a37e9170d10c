import type { LintRule } from '../types.js';
import { analyzePrompt } from '../analysis.js';

/**
 * Several edit actions in one pass ("change A and add B and remove C") drift on Kontext: the
 * seed's advice is one change per pass. Counted: imperative edit verbs at the start of a clause,
 * outside preservation clauses — so "Keep the face, pose, and clothing unchanged. Add an orange
 * umbrella in her left hand and a slight smile." is one edit (one verb, two objects is fine).
 */
export const compoundEdit: LintRule = {
  id: 'compound-edit',
  description: 'several edits joined in one pass ("change A and add B and remove C"); split them into passes',
  check(prompt) {
    const { edits } = analyzePrompt(prompt);
    const second = edits[1];
    if (second === undefined) return [];
    const verbs = edits.map((e) => `"${e.word}"`).join(', ');
    return [
      {
        rule: 'compound-edit',
        message: `${edits.length} edits in one pass (${verbs}); Kontext drifts on compound edits`,
        hint: 'split into sequential passes: one change per pass (chain them with `from`)',
        offset: second.offset,
      },
    ];
  },
};
