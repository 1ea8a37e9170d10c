/** jsonText: every --json output's text: nothing raw a terminal would obey or reorder, the same value once parsed. */
import { describe, expect, it } from 'vitest';
import { jsonText } from '../../../src/cli/json-text.js';

const VALUE = { recipe: 'cat\u202Egnp.yml', note: 'a\u200Bb \u{E0041} \u009b2J \u2066x\u2069', ok: '👩\u200D💻' };

describe('jsonText', () => {
  it('writes bidi controls, invisible characters, DEL and C1 as \\u escapes, compact or indented', () => {
    for (const text of [jsonText(VALUE), jsonText(VALUE, 2)]) {
      expect(text).not.toMatch(/[\u007f-\u009f\u200b-\u200d\u202a-\u202e\u2066-\u2069\u{E0000}-\u{E007F}]/u);
      expect(text).toContain('cat\\u202egnp.yml');
      expect(text).toContain('a\\u200bb \\udb40\\udc41 \\u009b2J \\u2066x\\u2069');
      expect(JSON.parse(text)).toEqual(VALUE);
    }
    expect(jsonText(VALUE, 2)).toContain('\n  "recipe"');
  });
});
