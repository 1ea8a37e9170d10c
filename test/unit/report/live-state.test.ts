/**
 * The served page's live overrides (src/report/serve/live.ts): which nodes the running cycle
 * reviews itself, so the page makes no second review of them (test/e2e/report-serve-live.test.ts);
 * and how the run's node states are laid over the data last read (src/report/serve/overlay.ts).
 */
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../src/index.js';
import { LiveState } from '../../../src/report/serve/live.js';
import { overlay } from '../../../src/report/serve/overlay.js';
import { warningLines } from '../../../src/report/recipe-text.js';
import type { Recipe } from '../../../src/recipe/types.js';
import type { ReportData, ReportNode } from '../../../src/report/types.js';

const done = (node: string, output = 'o.png'): RunEvent => ({
  type: 'node-done',
  t: 1,
  node,
  output,
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

describe('LiveState: a failed node’s reason', () => {
  it('shows a server’s bidi and control characters written out, as the terminal does (walk-s 2)', () => {
    const live = new LiveState();
    const message = 'request failed: \u202Egnp.exe\u202C \u2028 \u0000 \u001b[31mred';
    live.apply({ type: 'node-failed', t: 1, node: 'x', code: 'E_REMOTE_FAILED', exit_code: 69, message });
    expect(live.states.get('x')?.why).toBe('request failed: \\u{202E}gnp.exe\\u{202C} \\u{2028} \\x00 \\x1b[31mred');
  });

  it('keeps its code and hint for the viewer, as the terminal says them; a new start drops them', () => {
    const live = new LiveState();
    const hint = 'edit the \u202Esource';
    live.apply({ type: 'node-failed', t: 1, node: 'x', code: 'E_REMOTE_FAILED', exit_code: 69, message: 'no', hint });
    expect(live.states.get('x')).toEqual({
      state: 'failed',
      why: 'no',
      code: 'E_REMOTE_FAILED',
      hint: 'edit the \\u{202E}source',
    });
    live.apply({ type: 'node-start', t: 2, node: 'x', reason: 'prompt-changed' });
    expect(live.states.get('x')).toEqual({ state: 'running', why: null });
  });
});

describe('LiveState and the page’s warnings: lines quoting a path hold no raw bidi control (review-y 4)', () => {
  it('writes out a watch-error’s problems and stopped lines, and the recipe’s warnings', () => {
    const live = new LiveState();
    const line = 'w.yml:3:3: sources.photos: "photos/a\u202Egnp.jpg": not a whole image';
    live.apply({ type: 'watch-error', t: 1, kind: 'invalid', problems: [line] } as RunEvent);
    expect(live.problems).toEqual(['w.yml:3:3: sources.photos: "photos/a\\u{202E}gnp.jpg": not a whole image']);
    live.apply({ type: 'watch-error', t: 2, kind: 'stopped', problems: [line] } as RunEvent);
    expect(live.stopped[0]).toContain('a\\u{202E}gnp.jpg');
    const recipe = {
      file: '/p/w.yml',
      projectRoot: '/p',
      displayPath: 'w.yml',
      warnings: [{ code: 'glob-same-file', severity: 'warning', message: 'photos/\u202Eb.jpg twice', path: [] }],
    } as unknown as Recipe;
    expect(warningLines(recipe).other).toEqual(['photos/\\u{202E}b.jpg twice [glob-same-file]']);
  });
});

describe('overlay: the run’s node states laid over the data last read', () => {
  const node = (id: string, r: number): ReportNode => ({
    id,
    p: 0,
    r,
    variant: null,
    picked: false,
    seed: 7,
    state: 'up-to-date',
    why: null,
    img: `../a/${id}.png`,
    thumb: `thumbs/${'a'.repeat(63)}${r}.webp`,
    stale: false,
    input: null,
    from: null,
    finishedAt: '2026-01-01T00:00:00.000Z',
    ms: null,
    costUsd: 0.04,
    review: null,
    drift: false,
  });
  const data = {
    v: 1,
    recipe: { name: 't', file: 't.yml', provider: 'emulator' },
    generatedAt: '2026-01-01T00:00:00.000Z',
    counts: {
      nodes: 2,
      'up-to-date': 2,
      cached: 0,
      remote: 0,
      'not-run': 0,
      modified: 0,
      running: 0,
      failed: 0,
      skipped: 0,
      drift: 0,
    },
    costUsd: 0.08,
    costUnpriced: 0,
    warnings: [],
    passes: [],
    rows: [],
    nodes: [node('x', 0), node('y', 1)],
  } satisfies ReportData;
  const at = { cwd: '/p', outDir: '/p/out' };
  const shown = (live: LiveState, seq: number): Record<string, unknown>[] =>
    overlay({ data, seq }, live, at).nodes.map((n) => ({ id: n.id, state: n.state, thumb: n.thumb, img: n.img }));

  it('failed: its reason, code and hint on the node; running again: none of them', () => {
    const live = new LiveState();
    live.apply({ type: 'node-failed', t: 1, node: 'x', code: 'E_X', exit_code: 69, message: 'why', hint: 'do' });
    expect(overlay({ data, seq: 0 }, live, at).nodes[0]).toMatchObject({ state: 'failed', why: 'why', code: 'E_X' });
    expect(overlay({ data, seq: 0 }, live, at).nodes[0]?.hint).toBe('do');
    // The image it shows is its previous result, and why it had to run again is kept for its viewer (walk-al 3).
    const edited = {
      ...data,
      nodes: data.nodes.map((n) => ({ ...n, state: 'not-run' as const, why: 'prompt-changed' })),
    };
    expect(overlay({ data: edited, seq: 0 }, live, at).nodes[0]).toMatchObject({
      state: 'failed',
      stale: true,
      staleWhy: 'prompt-changed',
    });
    live.apply({ type: 'node-start', t: 2, node: 'x', reason: 'prompt-changed' });
    const again = overlay({ data, seq: 0 }, live, at).nodes[0];
    expect([again?.state, again?.code, again?.hint]).toEqual(['running', undefined, undefined]);
  });

  it('running, then back to what the data says when the run takes it from the cache', () => {
    const live = new LiveState();
    live.apply({ type: 'node-start', t: 1, node: 'x', reason: 'prompt-changed' });
    const running = overlay({ data, seq: 0 }, live, at);
    expect(running.nodes[0]).toMatchObject({ state: 'running', stale: true });
    expect(running.counts).toMatchObject({ running: 1, 'up-to-date': 1 });
    live.apply({ type: 'node-cached', t: 2, node: 'x', output: 'out/a/x.png', restored: false });
    // Before, the running state was built into the data: it stayed until a rebuild was done.
    expect(overlay({ data, seq: 0 }, live, at)).toEqual(data);
  });

  it('done after the data was read: its new output, no thumbnail yet; data read after it shows it as it is', () => {
    const live = new LiveState();
    live.apply(done('y', 'out/a/y-new.png'));
    expect(live.seq).toBe(1);
    const over = overlay({ data, seq: 0 }, live, at);
    expect(over.nodes[1]).toMatchObject({ state: 'up-to-date', img: '../a/y-new.png', thumb: null, ms: 3, seed: 1 });
    expect([over.costUsd, over.counts['up-to-date']]).toEqual([0.04, 2]);
    expect(shown(live, 1)).toEqual(shown(new LiveState(), 0));
    live.dropDone(1);
    expect(live.done.size).toBe(0);
  });
});

describe('LiveState: a node skipped (walk-w 5)', () => {
  const node = (id: string, from: string | null): ReportNode => ({
    id,
    p: 0,
    r: 0,
    variant: null,
    picked: false,
    seed: 7,
    state: 'not-run',
    why: 'new',
    img: null,
    thumb: null,
    stale: false,
    input: null,
    from,
    finishedAt: null,
    ms: null,
    costUsd: null,
    review: null,
    drift: false,
  });
  const nodes = [node('a', null), node('b', 'a'), node('c', 'b')];
  const none = { 'up-to-date': 0, cached: 0, remote: 0, modified: 0, running: 0, failed: 0, skipped: 0, drift: 0 };
  const data = {
    v: 1,
    recipe: { name: 't', file: 't.yml', provider: 'emulator' },
    generatedAt: '2026-01-01T00:00:00.000Z',
    counts: { ...none, nodes: 3, 'not-run': 3 },
    costUsd: null,
    costUnpriced: 0,
    warnings: [],
    passes: [],
    rows: [],
    nodes,
  } satisfies ReportData;
  const at = { cwd: '/p', outDir: '/p/out' };

  it('below a failed node: skipped, naming it, not "not run yet · new"; running again when its cycle runs it', () => {
    const live = new LiveState();
    live.apply({ type: 'watch-cycle', t: 0, to_run: [{ node: 'a' }, { node: 'b' }, { node: 'c' }] } as RunEvent);
    live.apply({ type: 'node-failed', t: 1, node: 'a', code: 'E_REMOTE_FAILED', exit_code: 69, message: 'moderated' });
    live.apply({ type: 'node-skipped', t: 2, node: 'b', reason: 'upstream-failed' });
    live.apply({ type: 'node-skipped', t: 2, node: 'c', reason: 'upstream-failed' });
    live.apply({ type: 'run-summary', t: 3 } as RunEvent);
    const shown = overlay({ data, seq: 0 }, live, at);
    // Before: b and c as the data had them, "not run yet" for a "new" reason.
    expect(shown.nodes.map((n) => [n.id, n.state, n.why])).toEqual([
      ['a', 'failed', 'moderated'],
      ['b', 'skipped', 'upstream a failed'],
      ['c', 'skipped', 'upstream a failed'],
    ]);
    expect(shown.counts).toMatchObject({ failed: 1, skipped: 2, 'not-run': 0 });
    live.apply({ type: 'watch-cycle', t: 4, to_run: [{ node: 'a' }, { node: 'b' }, { node: 'c' }] } as RunEvent);
    expect(overlay({ data, seq: 0 }, live, at).nodes.map((n) => n.state)).toEqual(['running', 'running', 'running']);
  });

  it('left out by a run that stopped or was interrupted: says which', () => {
    const live = new LiveState();
    live.apply({ type: 'node-skipped', t: 1, node: 'b', reason: 'stopped' });
    live.apply({ type: 'node-skipped', t: 1, node: 'c', reason: 'interrupted' });
    expect(overlay({ data, seq: 0 }, live, at).nodes.map((n) => n.why)).toEqual([
      'new',
      'the run stopped before it',
      'the run was interrupted',
    ]);
  });
});
