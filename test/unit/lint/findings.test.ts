import { describe, expect, it } from 'vitest';
import { LINT_RULES, lintPrompt } from '../../../src/recipe/lint/index.js';

/** Where each finding points: [prompt, rule id, the text at the finding's offset]. */
const OFFSETS: [string, string, string][] = [
  // compound: the second edit, where the extra change begins
  ['change A and add B and remove C', 'compound-edit', 'add B'],
  ['Keep the face unchanged.\nChange the jacket to red.\nAdd a scarf.', 'compound-edit', 'Add a scarf'],
  // passive: the start of the passive phrase
  ['The background should be replaced with a beach', 'passive-voice', 'should be replaced'],
  ['Keep the face unchanged. The jacket is changed to red.', 'passive-voice', 'is changed'],
  // missing preservation: the first edit (the line to put the lead-in before)
  ['A studio portrait.\nMake her hair blond.', 'missing-preservation', 'Make her'],
  // multiple images: the first reference that needs a second image
  ['Put the woman from image 1 into image 2', 'multiple-images', 'image 2'],
  ['Use https://a.example/1.jpg and https://b.example/2.jpg', 'multiple-images', 'https://b.example'],
];

describe('finding offsets point at the offending text', () => {
  it.each(OFFSETS)('%s → %s', (prompt, id, text) => {
    const finding = lintPrompt(prompt).find((f) => f.rule === id);
    expect(finding?.offset).toBe(prompt.indexOf(text));
  });

  it('is case-insensitive, and quotes the prompt as written', () => {
    // The rules match a copy lower-cased in ASCII (offsets unchanged); messages quote the original.
    const prompts = [
      'The Background SHOULD BE REPLACED with a beach. ADD a hat and Remove the scarf from her.',
      'Put the woman from IMAGE 1 into Image 2',
      'A studio PORTRAIT. Make her Hair blond.',
    ];
    for (const prompt of prompts) {
      const upper = lintPrompt(prompt);
      const lower = lintPrompt(prompt.toLowerCase());
      expect(upper.map((f) => [f.rule, f.offset])).toEqual(lower.map((f) => [f.rule, f.offset]));
      expect(upper.length).toBeGreaterThan(0);
    }
    const [first, second, third] = prompts.map((p) =>
      lintPrompt(p)
        .map((f) => f.message)
        .join(' | '),
    );
    expect(first).toContain('passive voice: "SHOULD BE REPLACED"');
    expect(first).toContain('2 edits in one pass ("add", "remove")');
    expect(second).toContain('("Image 2")');
    expect(third).toContain('("PORTRAIT")');
  });

  it('long-prompt points at the first word past the limit', () => {
    const words = Array.from({ length: 90 }, (_, i) => `w${i}`);
    const finding = lintPrompt(words.join(' ')).find((f) => f.rule === 'long-prompt');
    expect(finding?.offset).toBe(words.join(' ').indexOf('w80'));
  });

  it('reports every passive phrase, in order', () => {
    const prompt = 'The sky should be replaced, and the jacket is changed to red.';
    const offsets = lintPrompt(prompt)
      .filter((f) => f.rule === 'passive-voice')
      .map((f) => f.offset);
    expect(offsets).toEqual([prompt.indexOf('should'), prompt.indexOf('is changed')]);
  });

  it('orders findings by offset', () => {
    const findings = lintPrompt('Swap the face with the one in @image2, then add a hat.');
    const offsets = findings.map((f) => f.offset ?? 0);
    expect(findings.length).toBeGreaterThanOrEqual(3);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
  });
});

describe('the rule table', () => {
  it('has unique kebab-case ids and a description for each rule', () => {
    const ids = LINT_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([
      'empty-prompt',
      'long-prompt',
      'compound-edit',
      'passive-voice',
      'missing-preservation',
      'multiple-images',
    ]);
    for (const r of LINT_RULES) {
      expect(r.id).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(r.description.length).toBeGreaterThan(10);
    }
  });

  it('every finding names its rule and carries a message, a hint and an offset inside the prompt', () => {
    const prompts = [
      '',
      'change A and add B and remove C',
      'The sky should be replaced',
      'Make her hair blond',
      'Combine both images',
      'x '.repeat(100),
    ];
    for (const prompt of prompts) {
      for (const f of lintPrompt(prompt)) {
        expect(LINT_RULES.map((r) => r.id)).toContain(f.rule);
        expect(f.message).not.toBe('');
        expect(f.hint).toBeTruthy();
        expect(f.offset).toBeGreaterThanOrEqual(0);
        expect(f.offset).toBeLessThanOrEqual(prompt.length);
      }
    }
  });

  it('lints a megabyte-long prompt without blowing up', () => {
    // Rules bound their look-back and clause length, so this stays linear (well under a second).
    const prompt = "Keep the face and add a hat and she is being replaced by image 2 'q' keeping ".repeat(13_000);
    const findings = lintPrompt(prompt);
    expect(findings.map((f) => f.rule)).toContain('long-prompt');
  });
});
