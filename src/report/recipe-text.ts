/**
 * The recipe as the review page names it, and its warnings as the page lists them: prompt-lint's
 * (`lint/…`) apart from the recipe's others (a glob reaching one file twice, a save path's
 * extension), each list under its own heading. Before, every warning was counted as a
 * "prompt-lint warning".
 */
import { basename, isAbsolute, relative } from 'node:path';
import { formatProblem, type Problem } from '../errors.js';
import type { Recipe } from '../recipe/types.js';
import { escapeUnseen } from '../util/hidden-chars.js';

/**
 * The recipe as the page names it: relative to its project, never as typed (a path given whole,
 * as an editor's task passes it, put the author's folders into a page made to be sent around).
 */
export function pageName(recipe: Recipe): string {
  const rel = relative(recipe.projectRoot, recipe.file);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? basename(recipe.file) : rel;
}

/**
 * The recipe's warnings, one line each (`file:line:col: message [rule]`): prompt-lint's and the others,
 * control, bidi and invisible characters written out.
 */
export function warningLines(recipe: Recipe): { readonly lint: string[]; readonly other: string[] } {
  const lint: string[] = [];
  const other: string[] = [];
  for (const w of recipe.warnings) {
    // Listed under a heading that says they are warnings: without the word, after the position too.
    const said = formatProblem(namedOnPage(w, recipe)).replace(/^(.*?\d+:\d+: )?warning: /, '$1');
    // A source path quoted in it may hold a bidi control: written out, as the terminal shows it (review-y 4).
    const line = escapeUnseen(said);
    (w.code.startsWith('lint/') ? lint : other).push(line);
  }
  return { lint, other };
}

/** A warning located in the recipe, with the recipe named as the page names it. */
function namedOnPage(w: Problem, recipe: Recipe): Problem {
  if (w.location?.file !== recipe.displayPath) return w;
  return { ...w, location: { ...w.location, file: pageName(recipe) } };
}
