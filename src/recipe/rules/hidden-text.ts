/**
 * Text a reviewer reads must be the text kontext uses. A control character, a bidi control or an
 * invisible character (util/hidden-chars.ts) in a prompt is sent to the API as it is, yet can
 * hide, split or reorder what an editor, a diff or a terminal shows of it (a Trojan-Source-style
 * prompt, ASCII smuggled in tag characters); in a name, a path, a URL or a key it makes two
 * names that look the same, and an escape sequence would retitle or clear the terminal wherever
 * it is printed. Every string and every key the recipe writes is checked (unknown keys and
 * `hosting:` included), so no field is forgotten: prompts and the strings of `params` are texts,
 * the upload command a script, everything else a name. Each is an error at the character's
 * line:col, naming it (`U+200B (ZERO WIDTH SPACE)`); another rule's finding on the same field is
 * dropped (rules/index.ts), since it would quote the value with the character in it.
 */
import type { Problem } from '../../errors.js';
import { firstHiddenChar, type HiddenChar, type StringKind } from '../../util/hidden-chars.js';
import type { DocPath } from '../yaml/locate.js';
import type { Rule } from './context.js';

/** The codes this rule reports under: a control character or bidi control, or an invisible character. */
export const HIDDEN_CODES: ReadonlySet<string> = new Set(['control-character', 'invisible-character']);

interface Written {
  readonly path: DocPath;
  readonly value: string;
  /** `value` is the key at `path`, not its value. */
  readonly key: boolean;
}

/** Every string of the document with its path, keys first, in document order. */
function* strings(data: unknown, path: DocPath): Generator<Written> {
  if (typeof data === 'string') yield { path, value: data, key: false };
  else if (Array.isArray(data)) for (const [i, item] of data.entries()) yield* strings(item, [...path, i]);
  else if (typeof data === 'object' && data !== null) {
    for (const [k, v] of Object.entries(data)) {
      yield { path: [...path, k], value: k, key: true };
      yield* strings(v, [...path, k]);
    }
  }
}

/** Inside a `params:` mapping of `defaults:` or of a pass (`defaults.params.x`, `passes[0].params.x.y`). */
function inParams(path: DocPath): boolean {
  let at = -1;
  if (path[0] === 'defaults') at = 1;
  else if (path[0] === 'passes') at = 2;
  return at > 0 && path[at] === 'params' && path.length > at + 1;
}

/**
 * A pass's prompt, or one written where none belongs (`defaults.prompt`, a top-level `prompt`: the
 * unknown key is the schema's finding, and a multi-line prompt there is no control character).
 */
function isPrompt(path: DocPath): boolean {
  if (path[path.length - 1] !== 'prompt') return false;
  return (
    path.length === 1 || (path.length === 2 && path[0] === 'defaults') || (path.length === 3 && path[0] === 'passes')
  );
}

/**
 * A prompt or a param's string is a text (tab, newline and the invisible characters writing needs);
 * the upload command, a string or an argv, a script run by a shell (tab and newline); the rest a name.
 */
function kindOf(w: Written): StringKind {
  if (w.key) return 'name';
  if (isPrompt(w.path) || inParams(w.path)) return 'text';
  return w.path[0] === 'hosting' && w.path[1] === 'command' ? 'script' : 'name';
}

const VALUE_WORDS: Readonly<Record<string, string>> = {
  name: 'name',
  out: 'output folder',
  save: 'save path',
  id: 'pass id',
  prompt: 'prompt',
  from: 'from',
  model: 'model',
  provider: 'provider',
};

/** What the field is, in the message: `prompt`, `source`, `param name`. */
function fieldWords(w: Written): string {
  const [top] = w.path;
  const last = w.path[w.path.length - 1];
  if (w.key) {
    if (top === 'sources' && w.path.length === 2) return 'source name';
    return inParams(w.path) ? 'param name' : 'key';
  }
  if (inParams(w.path)) return 'param';
  if (top === 'sources' && w.path.length === 2) return 'source';
  if (top === 'hosting') return 'hosting setting';
  if (top === 'cache') return 'remote cache';
  // Own keys only: `toString`, `__proto__` are keys a recipe may hold, not words.
  return (typeof last === 'string' && Object.hasOwn(VALUE_WORDS, last) ? VALUE_WORDS[last] : undefined) ?? 'value';
}

/** Whether `name` (an id, a path) holds a character this rule reports: other rules leave it to this one. */
export function hidesText(name: string): boolean {
  return firstHiddenChar(name, 'name') !== null;
}

/** A finding of this rule on a value (not on its key): a finding that quotes only the key still has its say. */
export function onValue(p: Problem): boolean {
  const key = p.path?.[p.path.length - 1];
  return HIDDEN_CODES.has(p.code) && !(typeof key === 'string' && hidesText(key));
}

/**
 * The words for `hidden` in a field (`prompt`, `pass id`) of this kind; `where`: words after the
 * character, for a value without a line:col (` at character 12`).
 */
export function hiddenCharText(
  what: string,
  hidden: HiddenChar,
  kind: StringKind,
  where = '',
): { code: string; message: string; hint: string } {
  const held = `${what} holds ${hidden.code} (${hidden.what})${where}`;
  if (hidden.kind === 'bidi')
    return {
      code: 'control-character',
      message: `${held}, which can hide text from whoever reads it`,
      hint: 'a bidi control shows the text after it in another order than the one sent or used; remove it',
    };
  if (hidden.kind === 'invisible' && kind === 'text')
    return {
      code: 'invisible-character',
      message: `${held}, an invisible character that can hide or split words from whoever reads it`,
      hint:
        'it is sent as it is, but shows as nothing; remove it ' +
        '(ZWJ, ZWNJ, direction marks and variation selectors are fine in a prompt, ' +
        'one at a time after a visible character)',
    };
  if (hidden.kind === 'invisible' && kind === 'script')
    return {
      code: 'invisible-character',
      message: `${held}, an invisible character: the command run is not the one you read`,
      hint: 'a shell gets it as it is; remove it',
    };
  if (hidden.kind === 'invisible')
    return {
      code: 'invisible-character',
      message: `${held}, an invisible character: it looks the same as a name without it, and is not`,
      hint:
        'names, paths and values are used as written, not as shown; remove it' +
        (hidden.code === 'U+200C' || hidden.code === 'U+200D'
          ? ' (a name keeps a ZWNJ or ZWJ only between two letters of Arabic, Persian, Syriac or an Indic script)'
          : ''),
    };
  if (kind !== 'name')
    return {
      code: 'control-character',
      message: `${held}, which can hide text from whoever reads it`,
      hint: 'it is sent as it is, but editors and terminals may not show it; remove it (tab and newline are fine)',
    };
  return {
    code: 'control-character',
    message: `${held}, which a terminal would act on wherever it is printed`,
    hint: 'names and paths are printed by every command; use printable characters only',
  };
}

export const hiddenText: Rule = (ctx) => {
  const out: Problem[] = [];
  for (const w of strings(ctx.data, [])) {
    const kind = kindOf(w);
    const hidden = firstHiddenChar(w.value, kind);
    if (hidden === null) continue;
    const words = hiddenCharText(fieldWords(w), hidden, kind);
    out.push(
      ctx.report({
        ...words,
        path: w.path,
        offset: hidden.index,
        // A key is named by its mapping: the key itself holds the character.
        ...(w.key ? { key: true, label: w.path.slice(0, -1) } : {}),
      }),
    );
  }
  return out;
};
