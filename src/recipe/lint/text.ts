/**
 * Text helpers shared by the rules. Everything works on a *masked* copy of the prompt of the
 * same length, so offsets found in it are offsets in the original prompt. The copy is also
 * lower-cased in ASCII (A-Z only, so the length stays): the rules' English words then match
 * without the case-insensitive flag, which made V8 compile each `\p{L}` boundary class several
 * times slower (the lint was ~35 ms of every command start; ~12 ms without it). Text a message
 * quotes is taken from the original prompt at the same offsets.
 */

/** Quoted text, e.g. label copy ("ADD TO CART"), is content, not instructions. */
const QUOTED = new RegExp(
  [
    /"[^"\n]{0,200}"/u,
    /“[^”\n]{0,200}”/u,
    /‘[^’\n]{0,200}’/u,
    /`[^`\n]{0,200}`/u,
    /(?<![\p{L}\p{N}])'[^'\n]{1,200}'(?![\p{L}\p{N}])/u,
  ]
    .map((re) => re.source)
    .join('|'),
  'gu',
);

/** Blank out the inside of quotes (keeping the quote marks and the length) and lower-case A-Z. */
export function maskQuoted(text: string): string {
  return text
    .replace(QUOTED, (m) => m.slice(0, 1) + ' '.repeat(m.length - 2) + m.slice(-1))
    .replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/** Words that may sit between a clause boundary and its verb ("and then also add …"). */
const CONJUNCTIONS = new Set(['and', 'then', 'plus', 'but', 'while', 'whilst', 'also', 'next']);
const ADVERBS = new Set([
  'please',
  'now',
  'just',
  'simply',
  'finally',
  'lastly',
  'first',
  'afterwards',
  'additionally',
  'only',
]);

/** How far back to look for a clause boundary; bounded so huge prompts stay linear. */
const LOOKBACK = 80;

/**
 * Whether the word at `offset` starts a clause: at the start of the text or a sentence, after
 * `, ; : ( -` or a list marker, or after a conjunction ("… and add", "… then remove").
 * This is what tells the imperative "Add a bag" from the noun in "the turn signal".
 */
export function isClauseStart(text: string, offset: number): boolean {
  const from = Math.max(0, offset - LOOKBACK);
  let prefix = text.slice(from, offset);
  let joined = false;
  for (;;) {
    prefix = prefix.trimEnd();
    if (prefix === '') return from === 0;
    if (/[,;:.!?([\-–—•*]$/.test(prefix)) return true;
    const word = /\p{L}+$/u.exec(prefix)?.[0];
    if (word === undefined) return false;
    const lower = word.toLowerCase();
    if (CONJUNCTIONS.has(lower)) joined = true;
    else if (!ADVERBS.has(lower)) return joined;
    prefix = prefix.slice(0, -word.length);
  }
}

/** Offset just before the end of the sentence containing `from` (at . ! ? + space, or a line break). */
export function sentenceEnd(text: string, from: number, limit = text.length): number {
  const m = /[.!?](?=\s|$)|\n/.exec(text.slice(from, limit));
  return m === null ? limit : from + m.index;
}

/** The next word after `offset` (lower-cased), or '' at punctuation / end of text. */
export function nextWord(text: string, offset: number): string {
  const m = /^[ \t]*(\p{L}+)/u.exec(text.slice(offset, offset + 40));
  return m?.[1]?.toLowerCase() ?? '';
}

/** The original text of a match found in the masked copy (same offsets). */
export function quoted(prompt: string, match: RegExpMatchArray): string {
  const at = match.index ?? 0;
  return prompt.slice(at, at + match[0].length);
}
