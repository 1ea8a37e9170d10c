/**
 * The served page's live overrides (src/report/serve/live.ts): which nodes the running cycle
 * reviews itself, so the page makes no second review of them (test/e2e/report-serve-live.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../src/index.js';
import { LiveState } from '../../../src/report/serve/live.js';

const done = (node: string): RunEvent => ({
  type: 'node-done',
  t: 1,
  node,
  output: 'o.png',
  request_id: 'r',
  seed: 1,
  ms: 3,
});

describe('LiveState.reviewing', () => {
  it('holds the nodes the run executed until its summary; a node taken from the cache instead is the page’s', () => {
    const live = new LiveState();
    for (const n of ['sky', 'hat', 'bag#1']) live.apply(done(n));
    expect([...live.reviewing].sort()).toEqual(['bag#1', 'hat', 'sky']);
    // A later cycle takes `hat` from the cache (an edit undone): the run reviews no cache hit without max_change.
    live.apply({ type: 'node-cached', t: 2, node: 'hat', output: 'o.png', restored: false });
    expect([...live.reviewing].sort()).toEqual(['bag#1', 'sky']);
    live.apply({ type: 'run-summary', t: 3 } as RunEvent);
    expect(live.reviewing.size).toBe(0);
  });
});
