/**
 * "EMULATED" from a 5x7 bitmap font, as font-pixel coordinates the painter scales up. Font
 * rendering would depend on the fonts installed on the machine (and so would the output
 * bytes); a bitmap draws the same everywhere, which keeps outputs byte-identical.
 */

const GLYPHS: Record<string, readonly string[]> = {
  E: ['11111', '10000', '10000', '11110', '10000', '10000', '11111'],
  M: ['10001', '11011', '10101', '10101', '10001', '10001', '10001'],
  U: ['10001', '10001', '10001', '10001', '10001', '10001', '01110'],
  L: ['10000', '10000', '10000', '10000', '10000', '10000', '11111'],
  A: ['01110', '10001', '10001', '11111', '10001', '10001', '10001'],
  T: ['11111', '00100', '00100', '00100', '00100', '00100', '00100'],
  D: ['11110', '10001', '10001', '10001', '10001', '10001', '11110'],
};

const GLYPH_W = 5;
const GLYPH_H = 7;
const ADVANCE = GLYPH_W + 1;

/** Size in font pixels of `word` plus a one-pixel margin on every side. */
export function badgeSize(word: string): { w: number; h: number } {
  return { w: word.length * ADVANCE + 1, h: GLYPH_H + 2 };
}

/**
 * The lit font pixels of `word` as `[x, y]` pairs, relative to the badge's top-left corner
 * (so the one-pixel margin is included). Unknown letters are left blank.
 */
export function badgePixels(word: string): Array<readonly [number, number]> {
  const lit: Array<readonly [number, number]> = [];
  [...word].forEach((ch, i) => {
    (GLYPHS[ch] ?? []).forEach((row, r) => {
      for (let c = 0; c < row.length; c++) if (row[c] === '1') lit.push([1 + i * ADVANCE + c, 1 + r]);
    });
  });
  return lit;
}
