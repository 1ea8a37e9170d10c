/** Whether the CLI colours its output: NO_COLOR, FORCE_COLOR (as Node reads it), TERM=dumb, a TTY. */
import { describe, expect, it } from 'vitest';
import { wantsColor } from '../../../src/cli/context.js';
import { createRuntime } from '../../../src/index.js';

function colour(env: Record<string, string>, isTTY: boolean): boolean {
  return wantsColor(createRuntime({ env, stderr: { write: () => true, isTTY } }));
}

describe('wantsColor', () => {
  it('colours a terminal, not a pipe', () => {
    expect(colour({}, true)).toBe(true);
    expect(colour({}, false)).toBe(false);
  });

  it('FORCE_COLOR=0 or false turns it off even on a terminal (walk-u 9); other values turn it on', () => {
    expect(colour({ FORCE_COLOR: '0' }, true)).toBe(false);
    expect(colour({ FORCE_COLOR: 'false' }, true)).toBe(false);
    expect(colour({ FORCE_COLOR: '1' }, false)).toBe(true);
    expect(colour({ FORCE_COLOR: '3', TERM: 'dumb' }, false)).toBe(true);
    expect(colour({ FORCE_COLOR: '' }, false)).toBe(false);
  });

  it('NO_COLOR (not empty) wins over FORCE_COLOR; TERM=dumb means none unless forced', () => {
    expect(colour({ NO_COLOR: '1', FORCE_COLOR: '1' }, true)).toBe(false);
    expect(colour({ NO_COLOR: '' }, true)).toBe(true);
    expect(colour({ TERM: 'dumb' }, true)).toBe(false);
  });
});
