/**
 * A file name, or a value typed on the command line, holding a newline or an escape prints on the
 * line it belongs to, escaped (`\x0a`, `\x1b`): it can neither forge a line of output (`FORGED:
 * ok.jpg` read as kontext's word) nor drive the terminal. Through `main()`, as a user runs it.
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { ASSETS, testRuntime } from '../../helpers/run-fixtures.js';

const FORGED = `bad\u001b[2J\nFORGED: ok`;
const RECIPE = `version: 1
name: r
provider: emulator
sources:
  s: "in/*"
passes:
  - id: hat
    prompt: Keep it unchanged. Add a hat.
`;

let root = '';
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'kontext-name-lines-'));
  await mkdir(path.join(root, '.git'));
  await mkdir(path.join(root, 'in'));
  await copyFile(path.join(ASSETS, 'pet-chelsea.jpg'), path.join(root, 'in', 'good.jpg'));
  await writeFile(path.join(root, 'r.yml'), RECIPE);
});
afterEach(() => rm(root, { recursive: true, force: true }));

async function kontext(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const rt = testRuntime(root);
  const code = await main(args, { rt });
  return { code, out: rt.stdout.text(), err: rt.stderr.text() };
}

/** No line of `text` starts with the forged word, and no ESC or lone CR reached it. */
function expectNoForgery(text: string): void {
  expect(text).not.toMatch(/^FORGED/m);
  expect(text).not.toContain('\u001b');
  expect(text).toContain('\\x1b[2J\\x0aFORGED: ok');
}

describe('a newline or an escape in a name', () => {
  it('validate: a glob match that is not an image is named on its one line', async () => {
    await writeFile(path.join(root, 'in', `${FORGED}.jpg`), 'x');
    const { code, err } = await kontext('validate', 'r.yml');
    expect(code).toBe(65);
    expectNoForgery(err);
    expect(err.trim().split('\n')).toHaveLength(1);
  });

  it('status and clean: a file kontext did not make and a stray lock are listed escaped', async () => {
    expect((await kontext('run', 'r.yml')).code).toBe(0);
    await writeFile(path.join(root, 'out', 'r', `${FORGED}.png`), 'x');
    await writeFile(path.join(root, `${FORGED}.lock.json`), '{}');
    const status = await kontext('status', 'r.yml');
    expectNoForgery(status.out);
    expect(status.out).toMatch(/^\tout\/r\/bad\\x1b\[2J\\x0aFORGED: ok\.png$/m);
    expect(status.out).toMatch(/^\tbad\\x1b\[2J\\x0aFORGED: ok\.lock\.json$/m);
    const clean = await kontext('clean', '--dry-run', 'r.yml');
    expectNoForgery(clean.out);
  });

  it('a recipe path, an --only pattern and a pick node id typed with a newline are echoed escaped', async () => {
    for (const args of [
      ['validate', `${FORGED}.yml`],
      ['run', 'r.yml', '--only', FORGED],
      ['run', '--only', 'hat', FORGED, 'r.yml'],
      ['pick', 'r.yml', `hat@${FORGED}#2`],
      ['pick', '--clear', 'r.yml', FORGED],
    ]) {
      const { code, err } = await kontext(...args);
      expect([args, code]).toEqual([args, expect.any(Number)]);
      expect(code).not.toBe(0);
      expectNoForgery(err);
    }
  });
});
