/**
 * Text a reviewer reads must be the text kontext uses. A C0 or C1 control character or a bidi
 * override in a prompt is sent to the API as it is, yet can hide or reorder what an editor, a
 * diff or a terminal shows of it (a Trojan-Source-style prompt); in an id, `out:` or `save:` an
 * escape sequence would also retitle or clear the terminal wherever the name is printed. Each is
 * an error at the character's line:col (where the YAML lets us map it), naming it as `U+XXXX`.
 * A prompt may hold tab, newline and CR LF; the names none of them.
 */
import type { Problem } from '../../errors.js';
import { firstHiddenChar, type HiddenChar } from '../../util/control-chars.js';
import type { DocPath } from '../yaml/locate.js';
import type { Rule, RuleContext } from './context.js';

interface Field {
  readonly at: DocPath;
  readonly value: string | undefined;
  readonly what: string;
  /** Tab, newline and CR LF allowed (a prompt). */
  readonly text: boolean;
}

function fields(ctx: RuleContext): Field[] {
  const { draft } = ctx;
  const out: Field[] = [
    { at: ['name'], value: draft.name, what: 'name', text: false },
    { at: ['out'], value: draft.out, what: 'output folder', text: false },
    { at: ['defaults', 'save'], value: draft.defaults.save, what: 'save path', text: false },
  ];
  for (const p of draft.passes) {
    out.push(
      { at: ['passes', p.index, 'id'], value: p.id, what: 'pass id', text: false },
      { at: ['passes', p.index, 'prompt'], value: p.prompt, what: 'prompt', text: true },
      { at: ['passes', p.index, 'save'], value: p.save, what: 'save path', text: false },
    );
  }
  return out;
}

/** Whether `name` (an id, a path) holds a character this rule reports: other rules leave it to this one. */
export function hidesText(name: string): boolean {
  return firstHiddenChar(name, false) !== null;
}

/**
 * The words for `hidden` in a field (`prompt`, `pass id`); `text`: tab and newline were allowed;
 * `where`: words after the character, for a value without a line:col (` at character 12`).
 */
export function hiddenCharText(
  what: string,
  hidden: HiddenChar,
  text: boolean,
  where = '',
): { message: string; hint: string } {
  const held = `${what} holds ${hidden.code} (${hidden.what})${where}`;
  if (hidden.what !== 'a control character')
    return {
      message: `${held}, which can hide text from whoever reads it`,
      hint: 'a bidi control shows the text after it in another order than the one sent or used; remove it',
    };
  if (text)
    return {
      message: `${held}, which can hide text from whoever reads it`,
      hint: 'it is sent as it is, but editors and terminals may not show it; remove it (tab and newline are fine)',
    };
  return {
    message: `${held}, which a terminal would act on wherever it is printed`,
    hint: 'names and paths are printed by every command; use printable characters only',
  };
}

export const hiddenText: Rule = (ctx) =>
  fields(ctx).flatMap(({ at, value, what, text }): Problem[] => {
    const hidden = value === undefined ? null : firstHiddenChar(value, text);
    if (hidden === null) return [];
    return [
      ctx.report({ code: 'control-character', path: at, offset: hidden.index, ...hiddenCharText(what, hidden, text) }),
    ];
  });
