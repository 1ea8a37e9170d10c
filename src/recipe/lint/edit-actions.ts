import type { WordHit } from './types.js';
import { isClauseStart, nextWord } from './text.js';

/**
 * Imperative edit verbs (base form only, so "unchanged" or "removed" never match). Words that
 * are more often nouns in prompts ("color", "set", "dress", "light", "cover") are left out:
 * they would turn preservation lists like "shape, size and color" into edits.
 */
const EDIT_VERBS: readonly string[] = [
  'add',
  'adjust',
  'alter',
  'apply',
  'blur',
  'brighten',
  'change',
  'colorize',
  'convert',
  'crop',
  'darken',
  'delete',
  'edit',
  'enlarge',
  'erase',
  'exchange',
  'extend',
  'flip',
  'give',
  'insert',
  'make',
  'modify',
  'move',
  'paint',
  'place',
  'put',
  'recolor',
  'recolour',
  'relight',
  'remove',
  'replace',
  'resize',
  'restyle',
  'retouch',
  'rewrite',
  'rotate',
  'shift',
  'shrink',
  'substitute',
  'swap',
  'switch',
  'transfer',
  'transform',
  'turn',
  'update',
];

const VERB_RE = new RegExp(`(?<![\\p{L}\\p{N}'’-])(?:${EDIT_VERBS.join('|')})(?![\\p{L}\\p{N}'’-])`, 'gu');

/**
 * A verb followed by one of these is a noun or not an edit: "the turn of the head",
 * "shape, size and paint unchanged", "make sure the …".
 */
const NOT_AN_OBJECT = new Set([
  '',
  'and',
  'or',
  'of',
  'is',
  'are',
  'was',
  'were',
  'stays',
  'remains',
  'unchanged',
  'untouched',
  'intact',
  'identical',
  'sure',
  'certain',
  'nothing',
]);

/**
 * Edit actions: edit verbs used as imperatives, i.e. at the start of a clause and followed by
 * something to act on. Declarative descriptions ("She is now holding …") have none.
 */
export function findEditActions(masked: string): WordHit[] {
  const hits: WordHit[] = [];
  for (const m of masked.matchAll(VERB_RE)) {
    const end = m.index + m[0].length;
    if (NOT_AN_OBJECT.has(nextWord(masked, end))) continue;
    if (!isClauseStart(masked, m.index)) continue;
    hits.push({ word: m[0].toLowerCase(), offset: m.index });
  }
  return hits;
}
