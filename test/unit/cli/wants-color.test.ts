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

  it('FORCE_COLOR as Node reads it: empty, 1, true, 2, 3 colour a pipe; any other value none, even a terminal', () => {
    for (const on of ['', '1', 'true', '2', '3']) expect(colour({ FORCE_COLOR: on }, false), on).toBe(true);
    expect(colour({ FORCE_COLOR: '3', TERM: 'dumb' }, false)).toBe(true);
    for (const off of ['0', 'false', '4', 'no', 'yes']) expect(colour({ FORCE_COLOR: off }, true), off).toBe(false);
  });

  it('NO_COLOR (not empty) wins over FORCE_COLOR; TERM=dumb means none unless forced', () => {
    expect(colour({ NO_COLOR: '1', FORCE_COLOR: '1' }, true)).toBe(false);
    expect(colour({ NO_COLOR: '' }, true)).toBe(true);
    expect(colour({ TERM: 'dumb' }, true)).toBe(false);
  });
});
