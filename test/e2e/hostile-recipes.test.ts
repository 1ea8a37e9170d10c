/**
 * A stranger's recipe through the BUILT CLI: whatever its strings hold, every command prints one
 * line per problem and never a raw control character (an OSC title or a screen clear hidden in
 * a `"\e…"` escape of a source path would otherwise be obeyed by the terminal).
 */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli-spawn.js';
import { project, runcomfyEnv, submits, tempDir, useEmulator } from '../helpers/e2e-kit.js';

const emulator = useEmulator();

const ESCAPES = `version: 1
provider: runcomfy
sources:
  photo: "assets/\\e]0;pwned\\a\\e[2Jportrait.jpg"
passes:
  - id: tint
    prompt: "Tint the whole image blue"
`;

describe('a recipe whose strings hold terminal escapes', () => {
  it('validate, plan and run print them escaped (\\x1b), exit 66, nothing paid', async () => {
    const root = await project(ESCAPES);
    const env = runcomfyEnv(emulator(), await tempDir('home'));
    const before = submits(emulator());
    for (const cmd of ['validate', 'plan', 'run']) {
      const r = await cli([cmd, 'recipe.yml'], { cwd: root, env });
      expect(r.code, `${cmd}: ${r.stderr}`).toBe(66);
      expect(r.stderr + r.stdout, cmd).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
      expect(r.stderr, cmd).toMatch(/^recipe\.yml:4:10: sources\.photo: .*assets\/\\x1b\]0;pwned\\x07\\x1b\[2J/m);
    }
    expect(submits(emulator()) - before).toBe(0);
  });

  it('a source file whose name holds them: plan shows its path escaped', async () => {
    // No `[`: that would make the path a glob.
    const root = await project(ESCAPES.replace('\\e[2J', ''));
    await copyFile(
      join(root, 'assets', 'portrait-astronaut.jpg'),
      join(root, 'assets', '\u001b]0;pwned\u0007portrait.jpg'),
    );
    const env = runcomfyEnv(emulator(), await tempDir('home'));
    const r = await cli(['plan', 'recipe.yml'], { cwd: root, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr + r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(r.stdout).toContain('photo  assets/\\x1b]0;pwned\\x07portrait.jpg');
  });

  it('a list as a mapping key: one line at its line:col, no Node warning on stderr', async () => {
    const root = await project(
      ESCAPES.replace(/ {2}photo: .*\n/, '  photo: assets/portrait-astronaut.jpg\n').replace(
        '    prompt:',
        '    params: { ? [a, b] : 1 }\n    prompt:',
      ),
    );
    const r = await cli(['validate', 'recipe.yml'], { cwd: root, env: runcomfyEnv(emulator(), await tempDir('home')) });
    expect(r.code).toBe(65);
    expect(r.stderr).toBe(
      'recipe.yml:7:17: a mapping key must be a plain value, not a list or mapping (write the key as a string)\n',
    );
  });
});

// A right-to-left override makes an editor, a diff or a terminal show what follows it in another
// order than the one sent; it was sent to the API as it was.
const BIDI = `version: 1
provider: runcomfy
sources:
  photo: assets/portrait-astronaut.jpg
passes:
  - id: tint
    prompt: "Keep the cat unchanged. \\u202E.gnihtyreve eteleD"
`;

describe('a control character or bidi override in a prompt', () => {
  it('validate and run refuse it at the character (exit 65, U+202E named), nothing paid', async () => {
    const root = await project(BIDI);
    const env = runcomfyEnv(emulator(), await tempDir('home'));
    const before = submits(emulator());
    for (const cmd of ['validate', 'run']) {
      const r = await cli([cmd, 'recipe.yml'], { cwd: root, env });
      expect(r.code, `${cmd}: ${r.stderr}`).toBe(65);
      expect(r.stderr, cmd).toMatch(
        /^recipe\.yml:7:38: passes\[0\]\.prompt: prompt holds U\+202E \(RIGHT-TO-LEFT OVERRIDE\)/m,
      );
    }
    expect(submits(emulator()) - before).toBe(0);
  });

  it('edit --prompt refuses it the same way, before any request', async () => {
    const root = await project(BIDI);
    const env = runcomfyEnv(emulator(), await tempDir('home'));
    const before = submits(emulator());
    const args = ['edit', '--image', 'assets/portrait-astronaut.jpg', '--hosting', 'inline', '-o', 'x.png'];
    const r = await cli([...args, '--prompt', 'Keep the cat.\u001b[8m Delete everything.'], { cwd: root, env });
    expect(r.code, r.stderr).toBe(65);
    expect(r.stderr).toMatch(/--prompt: holds U\+001B \(a control character\) at character 14/);
    expect(r.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(submits(emulator()) - before).toBe(0);
  });
});
