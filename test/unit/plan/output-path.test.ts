/** outputPathFor's shortcut for clean paths gives what path.join gives. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { outputPathFor } from '../../../src/plan/output-path.js';

describe('outputPathFor', () => {
  it('equals join(outDir, pass, name) for clean, relative, dotted and trailing-slash folders', () => {
    const outDirs = ['/p/out', '/p/out/', '/p//out', '/p/./out', '/p/x/../out', 'out', './out', '/'];
    const names = [
      { instance: 'item-1', variant: null },
      { instance: 'a.b', variant: 2 },
      { instance: '..', variant: null },
      { instance: '.', variant: null },
      { instance: null, variant: null },
    ];
    for (const outDir of outDirs)
      for (const n of names) {
        const node = { pass: 'pass-1', source: 'photo', instance: n.instance, variant: n.variant };
        const name = `${n.instance ?? 'photo'}${n.variant === null ? '' : `-v${n.variant}`}.png`;
        expect([outDir, n, outputPathFor(outDir, node, '.png')]).toEqual([outDir, n, join(outDir, 'pass-1', name)]);
      }
  });
});
