/**
 * "EMULATED" drawn as SVG rectangles from a 5x7 bitmap font. SVG `<text>` would depend on the
 * fonts installed on the machine (and so would the output bytes); rectangles render the same
 * everywhere, which keeps outputs byte-identical across machines with the same libvips.
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
 * SVG fragment: a dark plate with `word` in white, top-left corner at (x, y), `scale` screen
 * pixels per font pixel. Unknown letters are left blank.
 */
export function badgeSvg(word: string, x: number, y: number, scale: number): string {
  const { w, h } = badgeSize(word);
  const rects: string[] = [
    `<rect x="${x}" y="${y}" width="${w * scale}" height="${h * scale}" fill="#000" fill-opacity="0.75"/>`,
  ];
  [...word].forEach((ch, i) => {
    const rows = GLYPHS[ch] ?? [];
    rows.forEach((row, r) => {
      [...row].forEach((bit, c) => {
        if (bit !== '1') return;
        const px = x + (1 + i * ADVANCE + c) * scale;
        const py = y + (1 + r) * scale;
        rects.push(`<rect x="${px}" y="${py}" width="${scale}" height="${scale}" fill="#fff"/>`);
      });
    });
  });
  return rects.join('');
}
