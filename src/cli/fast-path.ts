/**
 * `kontext --version` and `kontext --help` answered without loading commander or any command:
 * the help text is rendered by commander itself at build time (scripts/gen-help.mjs writes
 * dist/cli/help.txt; a test checks it matches what commander prints now). Anything else, or a
 * missing help file, falls through to the full parser.
 */
import { readFileSync } from 'node:fs';
import { VERSION } from './version.js';

export function fastAnswer(argv: readonly string[]): string | null {
  if (argv.length !== 1) return null;
  const [arg] = argv;
  if (arg === '--version' || arg === '-V') return `${VERSION}\n`;
  if (arg !== '--help' && arg !== '-h') return null;
  try {
    return readFileSync(new URL('./help.txt', import.meta.url), 'utf8');
  } catch {
    return null;
  }
}
