/**
 * A recipe with a second YAML document (`---` or `...` and more after it): one plain line at the
 * second document's line:col, from `validate` and from `pick` (which loads the recipe first).
 * Before, it printed the yaml library's advice to its programmer: "source contains multiple
 * documents; please use YAML.parseAllDocuments()".
 * A trailing `---` with nothing after it (an editor's or a generator's last separator) is no
 * second document: it validates and takes a pick, where before it was told to "move what follows
 * to a file of its own" with nothing following.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { createProject, testRuntime, type Project } from '../../helpers/run-fixtures.js';

const FIRST = [
  'version: 1',
  'provider: emulator',
  'sources:',
  '  photo: assets/portrait-astronaut.jpg',
  'passes:',
  '  - id: bg',
  '    prompt: Keep the face unchanged. New background',
  '    variants: 3',
].join('\n');

let project: Project | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

async function cli(p: Project, argv: readonly string[]): Promise<{ code: number; stderr: string }> {
  const rt = testRuntime(p.root);
  const code = await main(argv, { rt });
  return { code, stderr: rt.stderr.text() };
}

describe('a recipe holding two YAML documents', () => {
  it.each([
    ['---', `${FIRST}\n---\nversion: 1\n`, '9:1'],
    ['...', `${FIRST}\n...\nversion: 1\n`, '10:1'],
  ])('after %s: one plain line at the second document, from validate and pick', async (_, yaml, at) => {
    const p = (project = await createProject(yaml));
    const line =
      `recipe.yml:${at}: a recipe file holds one YAML document (a second one starts here: ` +
      'remove the `---` or `...` separator, or move what follows to a file of its own)';
    for (const argv of [
      ['validate', 'recipe.yml'],
      ['pick', 'recipe.yml', 'bg#2'],
    ]) {
      const { code, stderr } = await cli(p, argv);
      expect(code, argv[0]).toBe(65);
      expect(stderr, argv[0]).toContain(`${line}\n`);
      expect(stderr, argv[0]).not.toMatch(/parseAllDocuments|please use/);
    }
  });

  it.each([
    ['---', `${FIRST}\n---\n`],
    ['--- with a comment and blank lines, CRLF', `${FIRST.replaceAll('\n', '\r\n')}\r\n--- # end\r\n\r\n`],
  ])('a trailing %s with nothing after it: validates, and a pick is written', async (_, yaml) => {
    const p = (project = await createProject(yaml));
    const validate = await cli(p, ['validate', 'recipe.yml']);
    expect(validate.code, validate.stderr).toBe(0);
    const pick = await cli(p, ['pick', 'recipe.yml', 'bg#2']);
    expect(pick.code, pick.stderr).toBe(0);
    const text = await readFile(p.recipe, 'utf8');
    expect(text).toMatch(/pick: 2/);
    expect(text).toMatch(/---( # end)?\r?\n/);
  });
});
