import type { Span, WordHit } from './types.js';
import { isClauseStart, nextWord, sentenceEnd } from './text.js';

/** Any of `alternatives` as whole words: not glued to a letter, an apostrophe or a hyphen. */
function wholeWords(flags: string, ...alternatives: string[]): RegExp {
  return new RegExp(String.raw`(?<![\p{L}'’-])(?:${alternatives.join('|')})(?![\p{L}'’-])`, flags);
}

/** Imperatives that open a preservation clause; only count at the start of a clause. */
const LEAD_IMPERATIVE = wholeWords(
  'gu',
  'keep|preserve|maintain|retain|leave',
  String.raw`(?:do not|don['’]?t|never)\s+(?:change|alter|modify|touch|move|edit)`,
  String.raw`(?:change|alter|modify|touch|edit)\s+nothing`,
);

/** Gerunds that open a preservation clause anywhere ("…, keeping her pose", "without altering"). */
const LEAD_GERUND = wholeWords(
  'gu',
  'keeping|preserving|maintaining|retaining|leaving',
  String.raw`without\s+(?:changing|altering|modifying|touching|moving|editing)`,
);

/** Words that close a preservation clause ("Keep X, Y and Z unchanged"). */
const CLOSER = wholeWords(
  'u',
  'unchanged|untouched|unaltered|unmodified|intact|identical',
  'as[ -]is|as (?:it|they) (?:is|are)',
  '(?:exactly )?as (?:it is |they are )?in the (?:input|original|source|reference)(?: image| photo| picture)?',
  'the same|in place',
);

/** Longer than this is not one clause; the bound also keeps huge prompts linear. */
const MAX_CLAUSE = 300;

/** Preservation said without a lead verb ("Everything else stays the same."). */
const STANDALONE = wholeWords(
  'u',
  'unchanged|untouched|unaltered|unmodified|intact',
  'as in the (?:input|original|source)',
  String.raw`(?:stays?|remains?|staying|remaining|looks?)\s+(?:exactly\s+)?(?:the same|identical|as is)`,
);

/** After an edit verb, these mark a real instruction ("change the …", "add a …"). */
const DETERMINERS = new Set([
  'the',
  'a',
  'an',
  'her',
  'his',
  'their',
  'its',
  'it',
  'them',
  'him',
  'this',
  'that',
  'these',
  'those',
  'all',
  'every',
  'some',
  'only',
  'my',
  'your',
  'our',
]);

/**
 * Spans of preservation clauses. A clause runs from its lead word to its closer ("unchanged",
 * "exactly as in the input") or, without one, to the end of the sentence; an edit inside ends it
 * early ("Keep the face, change the background"). Before a closer only a clear instruction (verb
 * + determiner) ends it, so nouns that look like verbs in the kept list stay kept: "Keep the
 * pose, paint color and lighting unchanged".
 */
export function preservationSpans(masked: string, actions: readonly WordHit[]): Span[] {
  const leads = [
    ...[...masked.matchAll(LEAD_IMPERATIVE)].filter((m) => isClauseStart(masked, m.index)),
    ...masked.matchAll(LEAD_GERUND),
  ].sort((a, b) => a.index - b.index);
  const spans: Span[] = [];
  let next = 0; // index of the first action after the current lead: both lists are sorted
  for (const lead of leads) {
    const afterLead = lead.index + lead[0].length;
    while (next < actions.length && (actions[next]?.offset ?? 0) < afterLead) next++;
    const limit = sentenceEnd(masked, afterLead, Math.min(masked.length, afterLead + MAX_CLAUSE));
    const closer = CLOSER.exec(masked.slice(afterLead, limit));
    const end = closer === null ? limit : afterLead + closer.index + closer[0].length;
    spans.push({ start: lead.index, end: cutAt(masked, actions, next, end, closer !== null) ?? end });
  }
  return spans;
}

/** Offset of the first action from `actions[from]` on that ends the clause before `end`. */
function cutAt(
  masked: string,
  actions: readonly WordHit[],
  from: number,
  end: number,
  closed: boolean,
): number | undefined {
  for (let i = from; i < actions.length; i++) {
    const a = actions[i];
    if (a === undefined || a.offset >= end) return undefined;
    if (!closed || DETERMINERS.has(nextWord(masked, a.offset + a.word.length))) return a.offset;
  }
  return undefined;
}

/** Whether the prompt says anything about keeping the rest as it is. */
export function hasPreservation(masked: string, spans: readonly Span[]): boolean {
  return spans.length > 0 || STANDALONE.test(masked);
}

/** Edit actions outside preservation clauses ("Change nothing else" is not an edit). */
export function editsOutside(actions: readonly WordHit[], spans: readonly Span[]): WordHit[] {
  // One sweep: actions and span starts are both sorted, so track the furthest span end so far.
  let i = 0;
  let coveredTo = -1;
  return actions.filter((a) => {
    for (; i < spans.length && (spans[i]?.start ?? 0) <= a.offset; i++)
      coveredTo = Math.max(coveredTo, spans[i]?.end ?? 0);
    return a.offset >= coveredTo;
  });
}
