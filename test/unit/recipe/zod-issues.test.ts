import { describe, expect, it } from 'vitest';
import { makeReport } from '../../../src/recipe/report.js';
import { RecipeSchema } from '../../../src/recipe/schema.js';
import { parseRecipeYaml } from '../../../src/recipe/yaml/parse.js';
import { schemaProblems } from '../../../src/recipe/zod-issues.js';

function problems(text: string): string[] {
  const r = parseRecipeYaml(text);
  if (!r.ok) throw new Error('test YAML must parse');
  const { doc, lines, data } = r.parsed;
  const result = RecipeSchema.safeParse(data);
  if (result.success) return [];
  return schemaProblems(result.error.issues, data, makeReport('r.yml', doc, lines)).map(
    (p) => `${p.code}@${p.location?.line}:${p.location?.col} ${p.message}${p.hint ? ` (${p.hint})` : ''}`,
  );
}

const OK_TAIL = 'sources:\n  photo: a.jpg\npasses:\n  - id: a\n    prompt: x\n';

describe('schema problems read like advice', () => {
  it.each([
    [
      'unknown top-level key',
      `version: 1\nsourcs: {}\n${OK_TAIL}`,
      'unknown-key@2:1 unknown key "sourcs" (did you mean "sources"?)',
    ],
    [
      'unknown pass key',
      'version: 1\nsources:\n  photo: a.jpg\npasses:\n  - id: a\n    promt: x\n',
      'missing-field@5:5 passes[0]: required key "prompt" is missing',
    ],
    [
      'unknown pass key, hint',
      'version: 1\nsources:\n  photo: a.jpg\npasses:\n  - id: a\n    prompt: x\n    sead: 1\n',
      'unknown-key@7:5 passes[0]: unknown key "sead" (did you mean "seed"?)',
    ],
    [
      'unknown hosting key per mode',
      `version: 1\nhosting:\n  mode: s3\n  bucket: b\n  regoin: x\n${OK_TAIL}`,
      'unknown-key@5:3 hosting: unknown key "regoin" (did you mean "region"?)',
    ],
    ['wrong version', `version: 2\n${OK_TAIL}`, 'invalid-value@1:10 version: expected 1, got 2'],
    // A literal's key left out: a missing key at the mapping, not "expected 1, got a undefined".
    ['no version', OK_TAIL, 'missing-field@1:1 required key "version" is missing (add version: 1)'],
    [
      'no hosting mode',
      `version: 1\nhosting:\n  bucket: b\n${OK_TAIL}`,
      'missing-field@3:3 hosting: required key "mode" is missing (one of "inline", "s3", "command")',
    ],
    [
      'provider typo',
      `version: 1\nprovider: emulater\n${OK_TAIL}`,
      'invalid-value@2:11 provider: expected one of "runcomfy", "emulator", "bfl", "fal", "replicate", ' +
        'got "emulater" (did you mean "emulator"?)',
    ],
    [
      'hosting mode',
      `version: 1\nhosting:\n  mode: ftp\n${OK_TAIL}`,
      'invalid-value@3:9 hosting.mode: expected one of "inline", "s3", "command", got "ftp"',
    ],
    [
      'wrong type',
      'version: 1\nsources:\n  photo: a.jpg\npasses:\n  - id: a\n    prompt: [x]\n',
      'invalid-type@6:13 passes[0].prompt: expected a string, got a list',
    ],
    [
      'union type',
      `version: 1\nhosting:\n  mode: command\n  command: 5\n${OK_TAIL}`,
      'invalid-type@4:12 hosting.command: expected a string or a list, got 5',
    ],
    [
      'no passes',
      'version: 1\nsources:\n  photo: a.jpg\npasses: []\n',
      'out-of-range@4:9 passes: needs at least 1 item',
    ],
    ['empty out', `version: 1\nout: ""\n${OK_TAIL}`, 'out-of-range@2:6 out: must not be empty'],
    [
      // walk-r 5: `prompt:` with nothing after it said "expected a string, got null".
      'prompt: with no value',
      'version: 1\nsources:\n  photo: a.jpg\npasses:\n  - id: a\n    prompt:\n',
      'empty-prompt@6:5 passes[0].prompt: the prompt is empty; Kontext needs one edit instruction ' +
        '(say the one change to make, e.g. "Keep the person\'s face unchanged. Add a red scarf.")',
    ],
    [
      'another key with no value',
      `version: 1\nname:\n${OK_TAIL}`,
      'invalid-type@2:1 name: expected a string, got nothing (no value after the colon)',
    ],
  ])('%s', (_name, text, expected) => {
    expect(problems(text)[0]).toBe(expected);
  });

  it('reports every unknown key of one mapping, each at its own line', () => {
    const got = problems(`version: 1\nfoo: 1\nbar: 2\n${OK_TAIL}`);
    expect(got.map((p) => p.split(' ')[0])).toEqual(['unknown-key@2:1', 'unknown-key@3:1']);
  });
});
