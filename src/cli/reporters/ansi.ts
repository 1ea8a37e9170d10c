/**
 * The few ANSI sequences the reporters need, written out so there is no dependency.
 * Colour is a boolean decided upstream (TTY, `NO_COLOR`); cursor movement is only ever
 * emitted by the tty reporter, which the CLI picks only for a terminal.
 */
import { textWidth, widthGraphemes } from '../../index.js';

const ESC = '\u001b[';

/** Paint functions; identity when colour is off, so callers never branch on it. */
export interface Style {
  readonly green: (s: string) => string;
  readonly red: (s: string) => string;
  readonly yellow: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly bold: (s: string) => string;
}

export function createStyle(color: boolean): Style {
  const sgr = (open: number, close: number) => (s: string) => (color ? `${ESC}${open}m${s}${ESC}${close}m` : s);
  return { green: sgr(32, 39), red: sgr(31, 39), yellow: sgr(33, 39), dim: sgr(2, 22), bold: sgr(1, 22) };
}

export const cursor = {
  hide: `${ESC}?25l`,
  show: `${ESC}?25h`,
  /** Up `n` lines to column 0, then erase everything below: undoes a block of `n` full lines. */
  eraseLinesAbove: (n: number): string => (n > 0 ? `${ESC}${n}A\r${ESC}J` : ''),
} as const;

// SGR (colour) sequences only: the one kind of escape that may sit inside a line.
const SGR = /\u001b\[[0-9;]*m/g;

export function stripAnsi(s: string): string {
  return s.replace(SGR, '');
}

/** Visible width in terminal columns (wide characters and emoji take two: util/text-width.ts). */
export function visibleWidth(s: string): number {
  return textWidth(stripAnsi(s));
}

/**
 * Cut `s` to at most `width` visible columns, ending in `…` when cut, never inside a grapheme.
 * Escapes are kept (they take no room) and a reset is appended so a cut colour does not bleed on.
 */
export function truncate(s: string, width: number): string {
  if (visibleWidth(s) <= width) return s;
  if (width <= 0) return '';
  let out = '';
  let used = 0;
  for (const part of s.split(/(\u001b\[[0-9;]*m)/)) {
    if (part.startsWith('\u001b[')) {
      out += part;
      continue;
    }
    for (const { g, width: w } of widthGraphemes(part)) {
      if (used + w > width - 1) return `${out}…${s.includes(ESC) ? `${ESC}0m` : ''}`;
      out += g;
      used += w;
    }
  }
  return out;
}
