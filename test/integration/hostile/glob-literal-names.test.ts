/**
 * A source written as a file's name holding glob characters (`in/photo[1].jpg`): as a glob its
 * `[1]` matched `in/photo1.jpg`, and the run paid to edit that other image, with no word said.
 * Now a glob spec that names an existing file read as a plain path is refused (exit 65 at its
 * line:col) with the escaped spelling that reads the file; a glob with `[` that matches nothing
 * says the same; and a file named with a `\` is told the `?` spelling, not one the rules refuse.
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { ASSETS, testRuntime } from '../../helpers/run-fixtures.js';

let root = '';
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'kontext-glob-literal-'));
  await mkdir(path.join(root, '.git'));
  await mkdir(path.join(root, 'in'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

async function image(name: string): Promise<void> {
  await copyFile(path.join(ASSETS, 'pet-chelsea.jpg'), path.join(root, 'in', name));
}

/** `kontext <command> r.yml` over a recipe whose one source is `spec` (a YAML scalar as written). */
async function kontext(command: string, spec: string): Promise<{ code: number; out: string; err: string }> {
  await writeFile(
    path.join(root, 'r.yml'),
    `version: 1\nname: r\nprovider: emulator\nsources:\n  photo: ${spec}\n` +
      'passes:\n  - id: bg\n    prompt: Keep it unchanged. Add a hat.\n',
  );
  const rt = testRuntime(root);
  const code = await main([command, 'r.yml'], { rt });
  return { code, out: rt.stdout.text(), err: rt.stderr.text() };
}

describe('a source naming a file with glob characters', () => {
  it('photo[1].jpg beside photo1.jpg: refused at the "[", with the escaped spelling; photo1.jpg unread', async () => {
    await image('photo[1].jpg');
    await image('photo1.jpg');
    const { code, err } = await kontext('validate', '"in/photo[1].jpg"');
    expect(code).toBe(65);
    const lines = err.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^r\.yml:5:19: sources\.photo: "in\/photo\[1\]\.jpg" names a file, but its "\[" makes it a glob/,
    );
    expect(lines[0]).toContain(`"in/photo\\\\[1\\\\].jpg" in double quotes, or 'in/photo\\[1\\].jpg' in single quotes`);
    expect(lines[0]).toContain('its node ids end in @photo-1');
  });

  it('both spellings the hint gives read that one file, as a glob instance (node bg@photo-1)', async () => {
    await image('photo[1].jpg');
    await image('photo1.jpg');
    for (const spec of ['"in/photo\\\\[1\\\\].jpg"', "'in/photo\\[1\\].jpg'"]) {
      const { code, out } = await kontext('plan', spec);
      expect([spec, code]).toEqual([spec, 0]);
      expect(out).toContain('photo  1 instance: photo-1');
    }
  });

  it('photo[1].jpg alone: refused the same way, not "no files match" without a word', async () => {
    await image('photo[1].jpg');
    const { code, err } = await kontext('validate', '"in/photo[1].jpg"');
    expect(code).toBe(65);
    expect(err).toContain('names a file, but its "[" makes it a glob');
  });

  it('a glob with "[" matching nothing says how a file holding one is named', async () => {
    await image('other.jpg');
    const { code, err } = await kontext('validate', '"in/shot[2].jpg"');
    expect(code).toBe(66);
    expect(err).toContain('no files match "in/shot[2].jpg"');
    expect(err).toContain('"[...]" and "{a,b}" are glob syntax');
    expect(err).toContain('"in/shot\\\\[2\\\\].jpg" in double quotes');
  });

  it('a file named with a "\\": the hint names it with "?", a spelling no rule refuses', async () => {
    await image('a\\b.jpg');
    const named = await kontext('validate', "'in/a\\b.jpg'");
    expect(named.code).toBe(65);
    expect(named.err).toContain('names a file holding a "\\"');
    expect(named.err).toContain('"?" in the "\\"\'s place: in/a?b.jpg');
    expect(named.err).not.toContain('write "/"');
    const near = await kontext('validate', "'in/ab.jpg'");
    expect(near.err).toContain('did you mean "in/a?b.jpg"? (a glob)');
    expect((await kontext('validate', "'in/a?b.jpg'")).code).toBe(0);
  });
});

describe('a glob is case-sensitive', () => {
  it('files beside its matches with the extension in another case: a warning names them', async () => {
    for (const name of ['a.jpg', 'B.JPG', 'c.Jpg', 'd.png']) await image(name);
    const { code, out, err } = await kontext('validate', '"in/*.jpg"');
    expect(code).toBe(0);
    expect(out).toContain('r.yml: ok (1 node, 1 warning)');
    expect(err).toContain(
      'r.yml:5:10: warning: sources.photo: glob "in/*.jpg" leaves out 2 files beside its matches whose extension ' +
        'differs from theirs only by case: "in/B.JPG", "in/c.Jpg"',
    );
    await rm(path.join(root, 'in', 'B.JPG'));
    await rm(path.join(root, 'in', 'c.Jpg'));
    expect((await kontext('validate', '"in/*.jpg"')).err).toBe('');
  });
});
