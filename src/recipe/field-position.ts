/**
 * Where a field is written in a recipe file, for a problem found after the recipe was loaded (a
 * hosting block the user has not trusted): the file is read and parsed again, so the message can
 * point at `file:line:col` as validation problems do. Best effort: `undefined` when the file can
 * no longer be read or parsed.
 */
import { readFileSync } from 'node:fs';
import type { SourceLocation } from '../errors.js';
import { locatePath, type DocPath } from './yaml/locate.js';
import { parseRecipeYaml } from './yaml/parse.js';

export function fieldPosition(file: string, path: DocPath): SourceLocation | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const parsed = parseRecipeYaml(text);
  if (!parsed.ok) return undefined;
  const at = locatePath(parsed.parsed.doc, parsed.parsed.lines, path);
  return at === undefined ? undefined : { file, line: at.line, col: at.col };
}
