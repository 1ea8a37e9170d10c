import type { LintRule } from '../types.js';
import { analyzePrompt } from '../analysis.js';
import { quoted } from '../text.js';

const WORD = (words: string) => new RegExp(`(?<![\\p{L}'’-])(?:${words})(?![\\p{L}-])`, 'u');

/** Words that say the image shows a person, whose identity drifts without a lead-in. */
const PERSON = WORD(
  [
    'person|people|face|faces|woman|women|man|men|girl|boy|child|children|kid',
    'she|he|her|hers|him|his|model|models|portrait|selfie|subject|hair|skin|identity|bride|groom',
  ].join('|'),
);
/** Words that say the image shows a product, whose shape and branding drift without one. */
const PRODUCT = WORD(
  [
    'bottles?|labels?|products?|packages?|packaging|packshot|shoes?|sneakers?',
    'cups?|mugs?|logos?|brands?|branding|jars?|cartons?|perfume|cosmetics',
  ].join('|'),
);

/** Edits written in the passive still edit ("Her hair should be changed to blond"). */
const EDITED = [
  'changed|replaced|removed|added|swapped|altered|modified',
  'recolou?red|transformed|converted|erased|deleted',
].join('|');
const PASSIVE_EDIT = WORD(String.raw`(?:is|are|was|were|be|been)\s+(?:\p{L}+ly\s+)?(?:${EDITED})`);

/**
 * An edit of a person or product with no "Keep … unchanged" lead-in. Only imperative edits
 * count: a declarative description of the result, such as the seed's verified page example
 * "She is now holding an orange umbrella and smiling", is not flagged. It names the person as
 * she is ("she", "now") and adds to the scene rather than rewriting her, which is exactly the
 * shape the seed recommends; flagging it would tell users a known-good prompt is wrong.
 */
export const missingPreservation: LintRule = {
  id: 'missing-preservation',
  description: 'edits a person or product without a "Keep … unchanged" lead-in',
  check(prompt) {
    const { masked, edits, preserves } = analyzePrompt(prompt);
    if (preserves) return [];
    const passive = PASSIVE_EDIT.exec(masked);
    const at = edits[0]?.offset ?? passive?.index;
    if (at === undefined) return [];
    const person = PERSON.exec(masked);
    const product = person === null ? PRODUCT.exec(masked) : null;
    const subject = person ?? product;
    if (subject === null) return [];
    const lead =
      person !== null
        ? "Keep the person's face, pose, and clothing unchanged."
        : 'Keep the product shape, label, and lighting exactly as in the input.';
    return [
      {
        rule: 'missing-preservation',
        message:
          `edits a ${person !== null ? 'person' : 'product'} ("${quoted(prompt, subject)}") ` +
          'without saying what to keep; identity and details may drift',
        hint: `lead with what must not change, e.g. "${lead}"`,
        offset: at,
      },
    ];
  },
};
