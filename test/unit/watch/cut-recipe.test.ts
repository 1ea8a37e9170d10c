/**
 * A recipe text cut mid-line (no newline at its end, where the text acted on before had one) is
 * held until it has stayed so for CUT_QUIET_MS; a whole save is planned at once (walk-ak 1).
 */
import { describe, expect, it } from 'vitest';
import { CUT_QUIET_MS, CutRecipes } from '../../../src/watch/cut-recipe.js';

describe('CutRecipes', () => {
  it('holds a cut text until it is quiet, never a whole one; a new cut restarts the wait', () => {
    const cut = new CutRecipes();
    expect(cut.wait('version: 1\n', 0)).toBe(0); // the first text: nothing to compare with
    expect(cut.wait('version: 1\nname: a', 100)).toBe(CUT_QUIET_MS);
    expect(cut.wait('version: 1\nname: ab', 400)).toBe(CUT_QUIET_MS); // more came: waited for anew
    expect(cut.wait('version: 1\nname: ab', 900)).toBe(CUT_QUIET_MS - 500);
    expect(cut.wait('version: 1\nname: abc\n', 1000)).toBe(0); // the rest landed: at once
    expect(cut.wait('version: 1\nname: x', 2000)).toBe(CUT_QUIET_MS);
    expect(cut.wait('version: 1\nname: x', 2000 + CUT_QUIET_MS)).toBe(0); // quiet: taken as it is
    expect(cut.wait('version: 1\nname: y', 5000)).toBe(0); // the text before had no newline either
  });
});
