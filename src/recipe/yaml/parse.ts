/**
 * YAML → plain data, keeping the document and a line counter so every later problem can
 * point at a line and column. Only the first failure class is reported (text, syntax, aliases):
 * past a syntax error the structure cannot be trusted, so schema checks would only add noise.
 */
import { LineCounter, isCollection, isMap, isScalar, parseDocument, visit, type Document } from 'yaml';
import { escapeHidden, firstHiddenChar } from '../../util/hidden-chars.js';
import { hiddenInComment } from './comments.js';
import { duplicateKeys, tooManyEntries } from './map-keys.js';
import { conflictMarkerAt, findBinaryContent } from './text-checks.js';
import { oneAtEach, syntaxIssue, type YamlIssue } from './syntax-issues.js';

/** More alias expansions than this is a "billion laughs" bomb, not a recipe. */
const MAX_ALIAS_COUNT = 100;

/**
 * Alias-like tokens (`*name`) counted before parsing. The parser itself needs ~0.3 s for 10,000
 * aliases, so a flat bomb is refused up front; no real recipe comes near this many.
 */
export const MAX_ALIAS_TOKENS = 1000;

// What a second YAML document in a recipe (or a pick's recipe text) is called.
export { MULTIPLE_DOCUMENTS } from './syntax-issues.js';
/**
 * Whether the text from `offset` (where the parser found a second document) holds nothing but
 * document markers (`---`, `...`), blank lines and comments: an empty trailing document, harmless,
 * as an editor or a generator leaves a last `---`. Not a second document then; one with a tag or
 * a directive is.
 */
export function isEmptyTrailingDocument(text: string, offset: number): boolean {
  return text
    .slice(offset)
    .split('\n')
    .every((line) => EMPTY_DOC_LINE.test(line));
}

/** A line of an empty document: blank, a comment, or a marker at column 1 (perhaps with a comment after it). */
const EMPTY_DOC_LINE = /^(?:---|\.\.\.)?(?:[ \t]+(?:#[^\r\n]*)?)?\r?$|^[ \t]*#[^\r\n]*\r?$/;

const ALIAS_TOKEN = /(?:^|[\s,[{:?-])\*[^\s,[\]{}]+/gm;

interface ParsedYaml {
  readonly doc: Document;
  readonly lines: LineCounter;
  readonly data: unknown;
}

export type YamlOutcome =
  | { readonly ok: true; readonly parsed: ParsedYaml }
  | { readonly ok: false; readonly issues: readonly YamlIssue[]; readonly lines: LineCounter };

/**
 * Parse recipe text; never throws for bad input. Block nesting deep enough to overflow the
 * parser's stack (thousands of `- - - …`, which {@link findDeepFlow} does not count) is a
 * `yaml-too-deep` problem at its deepest line, exit 65 (walk-t: an internal error, exit 70).
 */
export function parseRecipeYaml(text: string): YamlOutcome {
  try {
    return parseChecked(text);
  } catch (e) {
    // Only the stack's overflow: another RangeError (an invalid length) is a defect, said as one.
    if (!(e instanceof RangeError && /call stack/i.test(e.message))) throw e;
    const lines = new LineCounter();
    const offset = deepestLine(text);
    feedLines(lines, text, offset);
    return fail(lines, tooDeep(offset));
  }
}

/** The issue of nesting too deep for the parser, at `offset`. */
function tooDeep(offset: number): YamlIssue {
  return {
    code: 'yaml-too-deep',
    message: 'lists or mappings nested too deep to read',
    hint: 'a recipe needs a few levels at most',
    offset,
  };
}

/** Where the line nested deepest starts its content: indentation plus compact `- ` / `? ` markers. */
function deepestLine(text: string): number {
  let best = 0;
  let bestDepth = -1;
  for (let start = 0; start < text.length; ) {
    const end = text.indexOf('\n', start);
    const stop = end === -1 ? text.length : end;
    let i = start;
    while (i < stop && (text[i] === ' ' || ((text[i] === '-' || text[i] === '?') && text[i + 1] === ' '))) i++;
    if (i - start > bestDepth) {
      bestDepth = i - start;
      best = i;
    }
    start = stop + 1;
  }
  return best;
}

function parseChecked(text: string): YamlOutcome {
  const lines = new LineCounter();
  const early = binaryIssue(text) ?? findAliasFlood(text) ?? findDeepFlow(text);
  if (early) {
    // The parser never ran, so feed the counter by hand for the position lookup.
    feedLines(lines, text, early.offset);
    return fail(lines, early);
  }
  // Repeated keys are found by map-keys.ts, linear: the parser's check is quadratic in a mapping's size.
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
  const crowded = tooManyEntries(doc);
  if (crowded) return fail(lines, crowded);
  // A trailing `---` with nothing after it is not a second document (nothing to move elsewhere).
  const syntax = doc.errors.filter((e) => !(e.code === 'MULTIPLE_DOCS' && isEmptyTrailingDocument(text, e.pos[0])));
  // The parser catches some stack overflows itself ("Maximum call stack size exceeded"): in our words.
  const deep = syntax.find((e) => /call stack/i.test(e.message));
  if (deep) return fail(lines, tooDeep(deep.pos[0]));
  const errors = oneAtEach(
    [...syntax.map((e) => syntaxIssue(e, text)), ...duplicateKeys(doc)].sort((a, b) => a.offset - b.offset),
    text,
  );
  // A merge git left conflicted: one line at its first marker, not the parser's several.
  const marker = errors.length > 0 ? conflictMarkerAt(text) : undefined;
  if (marker !== undefined)
    return fail(lines, {
      code: 'yaml-conflict-markers',
      message: 'git conflict marker: the recipe is in the middle of a merge',
      hint: 'keep one side or both, remove the <<<<<<<, ======= and >>>>>>> lines, then run again',
      offset: marker,
    });
  if (errors.length > 0) return { ok: false, issues: errors, lines };
  if (doc.contents === null) {
    return fail(lines, {
      code: 'yaml-empty',
      message: 'the recipe is empty',
      hint: 'start with `version: 1`, then `sources:` and `passes:`',
      offset: 0,
    });
  }
  if (!isMap(doc.contents)) {
    const offset = doc.contents.range?.[0] ?? 0;
    return fail(lines, {
      code: 'yaml-not-mapping',
      message: 'a recipe must be a YAML mapping',
      hint: 'start with `version: 1`, then `sources:` and `passes:`',
      offset,
    });
  }
  const odd =
    complexKey(doc) ?? mergeKey(doc) ?? explicitTag(doc, text) ?? hiddenAnchor(doc, text) ?? hiddenInComment(text);
  if (odd !== undefined) return fail(lines, odd);
  try {
    return { ok: true, parsed: { doc, lines, data: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) } };
  } catch (e) {
    return fail(lines, aliasIssue(doc, e));
  }
}

/**
 * A mapping key that is itself a list or mapping (`? [a, b] : 1`): no recipe field has one, and
 * turning it into an object key made the parser print a Node warning of its own to stderr.
 */
function complexKey(doc: Document): YamlIssue | undefined {
  let issue: YamlIssue | undefined;
  visit(doc, {
    Pair(_, pair) {
      if (!isCollection(pair.key)) return undefined;
      issue = {
        code: 'yaml-complex-key',
        message: 'a mapping key must be a plain value, not a list or mapping',
        hint: 'write the key as a string',
        offset: pair.key.range?.[0] ?? 0,
      };
      return visit.BREAK;
    },
  });
  return issue;
}

/**
 * A YAML 1.1 merge key (`<<: *base`): recipes are YAML 1.2, where `<<` is an ordinary key, so a
 * pass written that way failed as `unknown key "<<"`, which does not say why. Said plainly, with
 * what does work (an alias shares one value). Not supported rather than merged: a merged pass's
 * keys live elsewhere in the file, so its errors could not point at them, and `kontext pick`
 * writing into a mapping others merge would change those passes too.
 */
function mergeKey(doc: Document): YamlIssue | undefined {
  let issue: YamlIssue | undefined;
  visit(doc, {
    Pair(_, pair) {
      // Only a plain, untagged `<<` merges in YAML 1.1: a quoted `"<<"` is a key like any other.
      const key = pair.key;
      if (!isScalar(key) || key.value !== '<<' || key.type !== 'PLAIN' || key.tag !== undefined) return undefined;
      issue = {
        code: 'yaml-merge-key',
        message: 'YAML merge keys (`<<`) are not supported in a recipe',
        hint: 'write each key in the pass itself; an alias still shares one value, as in `prompt: *text`',
        offset: key.range?.[0] ?? 0,
      };
      return visit.BREAK;
    },
  });
  return issue;
}

/**
 * An explicit tag (`!!set`, `!!binary`, `!!timestamp`, `!custom`, `!!js/function`): no recipe
 * field needs one, and each turned a value into something else silently (a Set or ordered map
 * into `{}`, bytes into `{type: "Buffer", …}`, an unknown tag into its plain text).
 */
function explicitTag(doc: Document, text: string): YamlIssue | undefined {
  let issue: YamlIssue | undefined;
  visit(doc, {
    Node(_, node) {
      if (node.tag === undefined) return undefined;
      const shown = node.tag.replace(/^tag:yaml\.org,2002:/, '!!');
      issue = {
        code: 'yaml-tag',
        message: `YAML tag ${JSON.stringify(shown)} is not allowed in a recipe`,
        hint: 'remove the tag; quote a value to make it a string',
        offset: tagStart(text, node.range?.[0] ?? 0),
      };
      return visit.BREAK;
    },
  });
  return issue;
}

/**
 * An anchor name holding a character that hides text (`&q` and `&q<U+200B>` look the same, so
 * `*q<U+200B>` reads as the first value and is the second): the data the other rules check has
 * no anchor names, so they are checked here, as names. An alias must name an anchor, so checking
 * anchors covers aliases too.
 */
function hiddenAnchor(doc: Document, text: string): YamlIssue | undefined {
  let issue: YamlIssue | undefined;
  visit(doc, {
    Node(_, node) {
      const hidden = node.anchor === undefined ? null : firstHiddenChar(node.anchor, 'name');
      if (node.anchor === undefined || hidden === null) return undefined;
      const valueAt = node.range?.[0] ?? 0;
      const anchorAt = text.lastIndexOf(`&${node.anchor}`, valueAt);
      issue = {
        code: hidden.kind === 'invisible' ? 'invisible-character' : 'control-character',
        message:
          `anchor &${escapeHidden(node.anchor)} holds ${hidden.code} (${hidden.what}): ` +
          'it looks the same as an anchor without it, and is not',
        hint: 'an alias (*name) takes the value of the anchor it names exactly; use printable characters only',
        offset: anchorAt === -1 ? valueAt : anchorAt + 1 + hidden.index,
      };
      return visit.BREAK;
    },
  });
  return issue;
}

/** The tag's own position: it is the last `!…` token before its value. */
function tagStart(text: string, valueAt: number): number {
  let at = text.lastIndexOf('!', valueAt);
  while (at > 0 && text[at - 1] === '!') at--;
  return at === -1 ? valueAt : at;
}

function fail(lines: LineCounter, issue: YamlIssue): YamlOutcome {
  return { ok: false, issues: [issue], lines };
}

function binaryIssue(text: string): YamlIssue | undefined {
  const binary = findBinaryContent(text);
  return (
    binary && {
      code: 'yaml-binary',
      message: binary.message,
      hint: 'a recipe is a UTF-8 YAML text file',
      offset: binary.offset,
    }
  );
}

function findAliasFlood(text: string): YamlIssue | undefined {
  let count = 0;
  let first = 0;
  ALIAS_TOKEN.lastIndex = 0;
  for (let m = ALIAS_TOKEN.exec(text); m !== null; m = ALIAS_TOKEN.exec(text)) {
    if (count++ === 0) first = m.index + m[0].indexOf('*');
    if (count > MAX_ALIAS_TOKENS) return { ...aliasLimit(`more than ${MAX_ALIAS_TOKENS} aliases`), offset: first };
  }
  return undefined;
}

/** Deeper `[` / `{` nesting than any recipe has (params hold a few levels). */
const MAX_FLOW_DEPTH = 64;

/**
 * Flow brackets nested past {@link MAX_FLOW_DEPTH}, counted on the raw text (quoted strings and
 * comments skipped). The parser overflows its stack near 800 levels, and 1 MB of `[` took it 6 s
 * and 630 MB before it said so.
 */
function findDeepFlow(text: string): YamlIssue | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"' || ch === "'") i = quoteEnd(text, i, ch);
    else if (ch === '#' && (i === 0 || /\s/.test(text[i - 1] ?? ''))) i = text.indexOf('\n', i) >>> 0;
    else if (ch === '[' || ch === '{') {
      if (++depth > MAX_FLOW_DEPTH) {
        return {
          code: 'yaml-too-deep',
          message: `lists or mappings nested more than ${MAX_FLOW_DEPTH} deep`,
          hint: 'a recipe needs a few levels at most',
          offset: i,
        };
      }
    } else if ((ch === ']' || ch === '}') && depth > 0) depth--;
  }
  return undefined;
}

/** Where a quoted string opened at `start` ends (`''` and `\"` stay inside). */
function quoteEnd(text: string, start: number, quote: string): number {
  for (let i = start + 1; i < text.length; i++) {
    const ch = text[i];
    if (quote === '"' && ch === '\\') i++;
    else if (ch === quote) {
      if (quote === "'" && text[i + 1] === "'") i++;
      else return i;
    }
  }
  return text.length;
}

function aliasLimit(detail: string): Omit<YamlIssue, 'offset'> {
  return {
    code: 'yaml-alias-limit',
    message: `too many YAML aliases (${detail})`,
    hint: 'this looks like an alias bomb; write the values out or use fewer aliases',
  };
}

function feedLines(lines: LineCounter, text: string, upTo: number): void {
  lines.addNewLine(0);
  for (let i = text.indexOf('\n'); i !== -1 && i < upTo; i = text.indexOf('\n', i + 1)) lines.addNewLine(i + 1);
}

function aliasIssue(doc: Document, e: unknown): YamlIssue {
  let offset = 0;
  visit(doc, {
    Alias(_, node) {
      offset = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  const bomb = e instanceof Error && /alias count/i.test(e.message);
  return bomb
    ? { ...aliasLimit(`more than ${MAX_ALIAS_COUNT} expansions`), offset }
    : {
        code: 'yaml-alias',
        message: e instanceof Error ? e.message : 'bad YAML alias',
        hint: 'define an anchor (&name) before using it as an alias (*name)',
        offset,
      };
}
