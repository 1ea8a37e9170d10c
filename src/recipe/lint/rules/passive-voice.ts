import type { LintFinding, LintRule } from '../types.js';
import { maskQuoted, quoted } from '../text.js';

/** Participles of edit verbs: passive with any form of "be" ("the jacket is changed to red"). */
const STRONG = [
  'changed',
  'replaced',
  'removed',
  'added',
  'deleted',
  'swapped',
  'converted',
  'transformed',
  'erased',
  'inserted',
  'altered',
  'modified',
  'recolou?red',
  'substituted',
  'exchanged',
  'updated',
  'edited',
  'rewritten',
  'switched',
  'moved',
  'adjusted',
  'shifted',
  'blurred',
  'cropped',
  'rotated',
  'flipped',
  'resized',
  'relit',
  'retouched',
  'brightened',
  'darkened',
  'enlarged',
  'shrunk',
  'restyled',
  'applied',
  'transferred',
  'kept',
  'preserved',
  'maintained',
  'retained',
];
/**
 * Participles that also describe a state ("is made of leather", "is dressed in red", "is set
 * against a wall"): passive only after a modal or "been" ("should be made brighter").
 */
const WEAK = [
  'made',
  'set',
  'left',
  'put',
  'placed',
  'positioned',
  'painted',
  'colou?red',
  'turned',
  'given',
  'lit',
  'shown',
  'dressed',
  'filled',
  'covered',
  'hidden',
  'taken',
  'drawn',
  'written',
  'extended',
];
const MODAL_VERB = 'should|must|shall|will|would|could|can|may|might|needs? to|has to|have to|ought to';
const MODAL = String.raw`(?:${MODAL_VERB})\s+(?:also\s+|then\s+|now\s+|still\s+|all\s+)?be|(?:has|have|had) been`;
const FINITE = 'is|are|was|were|being|gets?|got|getting|to be|be';
const BETWEEN = String.raw`(?:(?:\p{L}+ly|now|also|then|all|just|not|still|then)\s+)?`;
const B = String.raw`(?<![\p{L}'’-])`;
const E = String.raw`(?![\p{L}'’-])`;

const PASSIVE = [
  new RegExp(`${B}(?:${MODAL}|${FINITE})\\s+${BETWEEN}(?:${STRONG.join('|')})${E}`, 'gu'),
  new RegExp(`${B}(?:${MODAL})\\s+${BETWEEN}(?:${WEAK.join('|')})${E}`, 'gu'),
];

/**
 * Passive voice ("The background should be replaced with a beach") is less reliable on Kontext
 * than an instruction or a description of the result. States such as "unchanged" or
 * "She is now holding …" are not passive edits and never match.
 */
export const passiveVoice: LintRule = {
  id: 'passive-voice',
  description: 'passive voice ("the background should be replaced"); say it as an instruction',
  check(prompt) {
    const masked = maskQuoted(prompt);
    const hits = PASSIVE.flatMap((re) => [...masked.matchAll(re)]).sort((a, b) => a.index - b.index);
    return hits.map(
      (m): LintFinding => ({
        rule: 'passive-voice',
        message:
          `passive voice: "${quoted(prompt, m).replace(/\s+/g, ' ')}"; ` +
          'Kontext follows active instructions more reliably',
        hint:
          'write it as an instruction ("Replace the background with a beach") ' +
          'or describe the result ("She is now holding …")',
        offset: m.index,
      }),
    );
  },
};
