/**
 * `kontext edit -o NAME`: a name holding an escape or a newline is refused (exit 64) before
 * anything is read or paid, as a recipe's file name is; any other name is the file's, while the
 * node id the reporters print is built as a default output's stem (`[^\w.-]+` → `-`); the path
 * printed last is escaped (a folder may hold a newline). Before, the raw `-o` stem was the node id
 * (the line reporter wrote its ESC to the terminal) and the path was written raw.
 */
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { ASSETS, testRuntime } from '../../helpers/run-fixtures.js';

let top = '';
let root = '';
beforeEach(async () => {
  top = await mkdtemp(path.join(os.tmpdir(), 'kontext-edit-name-'));
  root = path.join(top, 'shots\nFORGED: ok');
  await mkdir(path.join(root, '.git'), { recursive: true });
  await copyFile(path.join(ASSETS, 'pet-chelsea.jpg'), path.join(root, 'cat.jpg'));
});
afterEach(() => rm(top, { recursive: true, force: true }));

async function edit(...more: string[]): Promise<{ code: number; out: string; err: string }> {
  const rt = testRuntime(root);
  const args = ['edit', '--provider', 'emulator', '--image', 'cat.jpg', '--prompt', 'Add a small red hat.'];
  const code = await main([...args, ...more], { rt });
  return { code, out: rt.stdout.text(), err: rt.stderr.text() };
}

describe('kontext edit -o', () => {
  it('an escape or a newline in -o: exit 64 naming it escaped, nothing written', async () => {
    for (const name of ['x\u001b[2J.png', 'x\nFORGED: ok.png', 'x\u202Egnp.exe']) {
      const { code, err } = await edit('-o', name);
      expect([name, code]).toEqual([name, 64]);
      expect(err).not.toContain('\u001b');
      expect(err).not.toMatch(/^FORGED/m);
      expect(err).toMatch(/^kontext: -o x\\(x1b\[2J|x0aFORGED: ok|u\{202E\}gnp)\S* holds U\+/);
    }
    expect((await readdir(root)).sort()).toEqual(['.git', 'cat.jpg']);
  });

  it('a name with spaces and accents is the file written; the node id is its safe stem', async () => {
    const { code, out, err } = await edit('-o', 'my photo é.png');
    expect(code).toBe(0);
    expect(await readdir(root)).toContain('my photo é.png');
    expect(err).toMatch(/^start {3}my-photo- {2}new$/m);
    // The folder holds a newline: the path printed last is one line.
    expect(out.trimEnd().split('\n').at(-1)).toBe(`${path.join(top, 'shots\\x0aFORGED: ok')}/my photo é.png`);
    expect(out + err).not.toMatch(/^FORGED/m);
  });
});
