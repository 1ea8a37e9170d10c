/**
 * `TERM=dumb` on a terminal: the plain reporter, and no colour (it printed ANSI bold and dim:
 * the colour choice ignored TERM). Through the CLI in-process, stderr a TTY, provider emulator.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { createProject, recipeYaml, testRuntime, type Project } from '../../helpers/run-fixtures.js';

let project: Project;
beforeEach(async () => {
  project = await createProject(recipeYaml([['sky', 'Make the sky pink']]));
});
afterEach(async () => {
  await project.cleanup();
});

/** `kontext run recipe.yml` with stderr a terminal; what it printed there. */
async function runOnTerminal(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const rt = testRuntime(project.root, env);
  const parts: string[] = [];
  const stderr = { write: (s: string) => parts.push(s), isTTY: true, columns: 100 };
  const code = await main(['run', 'recipe.yml', '--force'], { rt: { ...rt, stderr } });
  return { code, stderr: parts.join('') };
}

const ESC = '\u001b[';

describe('TERM=dumb', () => {
  it('means no colour, as NO_COLOR does; FORCE_COLOR still asks for it', async () => {
    const dumb = await runOnTerminal({ TERM: 'dumb' });
    expect(dumb.code).toBe(0);
    expect(dumb.stderr).toMatch(/^done 1 · /m); // the plain reporter's summary line
    expect(dumb.stderr).not.toContain(ESC);
    const forced = await runOnTerminal({ TERM: 'dumb', FORCE_COLOR: '1' });
    expect(forced.stderr).toContain(ESC);
    // A terminal that is not dumb gets colour (the live view).
    const xterm = await runOnTerminal({ TERM: 'xterm-256color' });
    expect(xterm.stderr).toContain(ESC);
  });
});
