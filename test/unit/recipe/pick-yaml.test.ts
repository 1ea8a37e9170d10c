import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { clearPickInText, passIndexInText, setPickInText } from '../../../src/recipe/pick.js';

const COMMENTED = `# catalog shots
version: 1   # always 1
sources:
  shots: "shots/*.jpg"   # every product

passes:
    # first: the bag
    -   id: bag
        prompt: >-
          Keep the product unchanged.
          Put it on a beige table.
        variants: 3     # three to choose from

    # then the shade, on whichever bag we like
    -   id: shade
        prompt: 'Add a soft shadow'   # keep it subtle
`;

const picksOf = (text: string): unknown[] =>
  (parse(text) as { passes: { pick?: unknown }[] }).passes.map((p) => p.pick);

describe('setPickInText', () => {
  it('adds pick: after variants:, at its indentation, and changes no other byte', () => {
    const edit = setPickInText(COMMENTED, 0, 2);
    expect(edit).toMatchObject({ previous: undefined, method: 'surgical' });
    expect(edit.text).toBe(
      COMMENTED.replace(
        'variants: 3     # three to choose from\n',
        'variants: 3     # three to choose from\n        pick: 2\n',
      ),
    );
    expect(picksOf(edit.text)).toEqual([2, undefined]);
  });

  it('replaces an existing pick in place, keeping its comment', () => {
    const once = setPickInText(COMMENTED, 0, 2).text.replace('pick: 2', 'pick: 2   # the tan one');
    const edit = setPickInText(once, 0, 3);
    expect(edit.previous).toBe(2);
    expect(edit.text).toBe(once.replace('pick: 2   # the tan one', 'pick: 3   # the tan one'));
  });

  it('without variants: in the pass (they come from defaults), it goes after id:', () => {
    const text =
      'version: 1\ndefaults: { variants: 2 }\nsources: { a: a.jpg }\npasses:\n  - id: bag # the bag\n    prompt: x\n';
    const edit = setPickInText(text, 0, 1);
    expect(edit.text).toBe(text.replace('  - id: bag # the bag\n', '  - id: bag # the bag\n    pick: 1\n'));
  });

  it('a flow-map pass gets ", pick: k" before its closing brace', () => {
    const text =
      'version: 1\nsources: {a: a.jpg}\npasses:\n' +
      '  - {id: bag, prompt: "x, y", variants: 3}  # flow\n  - {id: s, prompt: z}\n';
    const edit = setPickInText(text, 0, 3);
    expect(edit.text).toBe(text.replace('variants: 3}', 'variants: 3, pick: 3}'));
    expect(picksOf(edit.text)).toEqual([3, undefined]);
  });

  it('keeps anchors and aliases as written', () => {
    const text =
      'version: 1\nsources:\n  a: a.jpg\npasses:\n  - &bagpass\n    id: bag\n    prompt: &p "Keep it"\n' +
      '    variants: 2\n  - id: s\n    prompt: *p\n';
    const edit = setPickInText(text, 0, 2);
    expect(edit.text).toBe(text.replace('    variants: 2\n', '    variants: 2\n    pick: 2\n'));
    expect((parse(edit.text) as { passes: { prompt: string }[] }).passes[1]?.prompt).toBe('Keep it');
  });

  it('keeps CRLF line endings and a file without a final newline', () => {
    const text = 'version: 1\r\nsources:\r\n  a: a.jpg\r\npasses:\r\n  - id: bag\r\n    prompt: x\r\n    variants: 2';
    const edit = setPickInText(text, 0, 1);
    expect(edit.text).toBe(`${text}\r\n    pick: 1`);
  });

  it('picks the right pass of several with the same keys', () => {
    const text = 'passes:\n  - id: a\n    variants: 2\n  - id: b\n    variants: 4\n';
    expect(setPickInText(text, 1, 4).text).toBe(`${text}    pick: 4\n`);
  });

  it('refuses a pass written as an alias, and text that is not YAML', () => {
    const aliased = 'base: &b {id: bag, variants: 2}\npasses:\n  - *b\n';
    expect(() => setPickInText(aliased, 0, 1)).toThrow(/alias|mapping/);
    expect(() => setPickInText('passes: [\n', 0, 1)).toThrow(/not valid YAML/);
    // A second document: said as the recipe's load says it, not the yaml library's advice to its programmer.
    const two = 'version: 1\npasses:\n  - id: bag\n    prompt: x\n    variants: 2\n---\nversion: 1\n';
    expect(() => setPickInText(two, 0, 1)).toThrow(
      /^the recipe is not valid YAML: a recipe file holds one YAML document at line 6, column 1$/,
    );
  });

  it('a hostile pass: a block-scalar id falls back to a safe spot and still parses to the right document', () => {
    const text = 'passes:\n  - id: |\n      bag\n    prompt: x\n';
    const edit = setPickInText(text, 0, 2);
    expect(edit.method).toBe('reprinted');
    expect((parse(edit.text) as { passes: { id: string; pick: number }[] }).passes[0]).toEqual({
      id: 'bag\n',
      prompt: 'x',
      pick: 2,
    });
  });

  it('an anchor before the first key: whichever way it is written, the document is the intended one', () => {
    const text = 'passes:\n  - &a id: bag\n    variants: 2\n  - id: s\n    prompt: *a\n';
    const edit = setPickInText(text, 0, 2);
    expect(parse(edit.text)).toEqual({
      passes: [
        { id: 'bag', variants: 2, pick: 2 },
        { id: 's', prompt: 'id' },
      ],
    });
    expect(edit.text).toContain('&a id: bag');
  });
});

describe('clearPickInText (pick --clear)', () => {
  it('takes out the line a pick added, comment and all: the text is as before the pick', () => {
    const picked = setPickInText(COMMENTED, 0, 2).text.replace('pick: 2', 'pick: 2   # the tan one');
    expect(clearPickInText(picked, 0)).toEqual({ text: COMMENTED, previous: 2, method: 'surgical' });
    const crlf = `\uFEFF${COMMENTED.replace(/\n/g, '\r\n')}`;
    expect(clearPickInText(setPickInText(crlf, 0, 3).text, 0).text).toBe(crlf);
  });

  it('in a flow map, the pair and its comma; a pass without a pick is left as it is', () => {
    const flow =
      'version: 1\npasses:\n  - {id: bag, variants: 3, pick: 2}  # flow\n  - {pick: 1, id: hat, variants: 2}\n';
    const once = clearPickInText(flow, 0);
    expect(once).toMatchObject({ previous: 2, method: 'surgical' });
    expect(clearPickInText(once.text, 1).text).toBe(
      'version: 1\npasses:\n  - {id: bag, variants: 3}  # flow\n  - {id: hat, variants: 2}\n',
    );
    expect(clearPickInText(COMMENTED, 1)).toEqual({ text: COMMENTED, previous: undefined, method: 'surgical' });
  });

  it('a pick on the line of the dash: the yaml library prints the pass again, nothing else lost', () => {
    const edit = clearPickInText('version: 1\npasses:\n  - pick: 2 # x\n    id: bag\n    variants: 2\n', 0);
    expect(edit.method).toBe('reprinted');
    expect(parse(edit.text)).toEqual({ version: 1, passes: [{ id: 'bag', variants: 2 }] });
  });
});

describe('passIndexInText (pick --clear of a recipe that does not validate)', () => {
  it('the first pass with that id, read from the text alone; undefined when there is none', () => {
    const text = 'version: 1\npasses:\n  - {id: bag, pick: 3}\n  - id: hat\n    pick: 0\n  - 7\n  - id: hat\n';
    expect(passIndexInText(text, 'bag')).toBe(0);
    expect(passIndexInText(text, 'hat')).toBe(1);
    expect(passIndexInText(text, 'shoe')).toBeUndefined();
    expect(passIndexInText('version: 1\npasses: {bag: 1}\n', 'bag')).toBeUndefined();
    expect(passIndexInText('version: [\n', 'bag')).toBeUndefined();
  });
});
