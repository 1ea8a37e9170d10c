/**
 * How every `--help` is laid out: as wide as stdout when it is a terminal, else 80 columns (the
 * runtime's stdout, not the process's, so the build-time `--help` cache is 80 wide wherever it is
 * built). Commander stops wrapping descriptions when the term column leaves them under 40
 * columns, which one long term (merge-lock's four arguments) did to the whole command list:
 * a term wider than {@link TERM_COLUMN} goes on its own line, its description below in the column.
 */
import { Help, type Command } from 'commander';
import type { TextSink } from '../index.js';

/** The widest term column: 80 − 2 indent − 2 spacer − 36 leaves descriptions 40 columns. */
const TERM_COLUMN = 36;
/** Columns a description keeps: under this commander stops wrapping it. */
const DESCRIPTION_MIN = 40;
/** A term column is never narrower than this (a terminal under ~54 columns gets unwrapped lines). */
const TERM_MIN = 10;

/** The term column for a help `width` wide: 36, less on a terminal narrower than 80. */
function termColumn(width: number): number {
  return Math.max(TERM_MIN, Math.min(TERM_COLUMN, width - 4 - DESCRIPTION_MIN));
}

export const HELP_LAYOUT: Partial<Help> = {
  /** As wide as the widest term that fits the column (commander: the widest term). */
  padWidth(cmd: Command, helper: Help): number {
    const terms = [
      ...[...helper.visibleOptions(cmd), ...helper.visibleGlobalOptions(cmd)].map((o) =>
        helper.styleOptionTerm(helper.optionTerm(o)),
      ),
      ...helper.visibleCommands(cmd).map((c) => helper.styleSubcommandTerm(helper.subcommandTerm(c))),
      ...helper.visibleArguments(cmd).map((a) => helper.styleArgumentTerm(helper.argumentTerm(a))),
    ];
    const column = termColumn(helper.helpWidth ?? 80);
    let width = 0;
    for (const term of terms) {
      const w = helper.displayWidth(term);
      if (w <= column) width = Math.max(width, w);
    }
    return width;
  },
  formatItem(term: string, termWidth: number, description: string, helper: Help): string {
    const item = (t: string): string => Help.prototype.formatItem.call(helper, t, termWidth, description, helper);
    if (description === '' || helper.displayWidth(term) <= termWidth) return item(term);
    return `  ${term}\n${item('')}`;
  },
};

/** The width help is laid out to: the terminal's, else 80 (a pipe, a file, the build-time cache). */
export function helpWidth(sink: TextSink): number {
  return (sink.isTTY === true ? sink.columns : undefined) ?? 80;
}
