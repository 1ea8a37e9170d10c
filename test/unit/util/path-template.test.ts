/** Template paths (util/path-template.ts): what a `save:` template can write, decided in linear time. */
import { describe, expect, it } from 'vitest';
import { matchesTemplate, starTemplate, type TemplateToken } from '../../../src/util/path-template.js';

const PLACEHOLDER = /\{(?:source|pass|variant|ext)\}/;

describe('matchesTemplate', () => {
  it('a placeholder matches any part of one name, never a /', () => {
    const tokens = starTemplate('/p/out/{source}-{pass}.{ext}', PLACEHOLDER);
    expect(matchesTemplate(tokens, '/p/out/shoe-sky.png')).toBe(true);
    expect(matchesTemplate(tokens, '/p/out/a-b-c.png')).toBe(true);
    expect(matchesTemplate(tokens, '/p/out/x/y-z.png')).toBe(false);
    expect(matchesTemplate(tokens, '/p/out/shoe.png')).toBe(false);
  });

  it('known values, an optional separator, and case-blind when asked', () => {
    const tokens: TemplateToken[] = [
      { kind: 'text', text: '/p/' },
      { kind: 'oneOf', texts: ['sky', 'scarf'] },
      { kind: 'optional', text: '-' },
      { kind: 'star' },
      { kind: 'text', text: '.' },
      { kind: 'oneOf', texts: ['png', 'jpg'] },
    ];
    expect(matchesTemplate(tokens, '/p/sky.png')).toBe(true);
    expect(matchesTemplate(tokens, '/p/scarf-2.jpg')).toBe(true);
    expect(matchesTemplate(tokens, '/p/hat-2.jpg')).toBe(false);
    expect(matchesTemplate(tokens, '/P/SKY.PNG')).toBe(false);
    expect(matchesTemplate(tokens, '/P/SKY.PNG', { ignoreCase: true })).toBe(true);
  });

  it('twelve placeholders against a name of 40 dashes: decided at once (walk-t: a RegExp took minutes)', () => {
    const tokens = starTemplate(`/p/${Array(12).fill('{variant}').join('-')}.png`, PLACEHOLDER);
    expect(matchesTemplate(tokens, `/p/${'a-'.repeat(40)}x.jpg`)).toBe(false);
    expect(matchesTemplate(tokens, `/p/${'a-'.repeat(40)}x.png`)).toBe(true);
  });
});
