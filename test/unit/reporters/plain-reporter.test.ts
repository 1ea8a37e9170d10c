import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../src/run/events.js';
import { SCENARIO, plainRig as setup, plainSummary as summary, play, spent } from './harness.js';

describe('plain reporter: a small run', () => {
  it('prints exactly these lines, to err only', () => {
    const { out, err, clock, ft, reporter } = setup();
    play(SCENARIO, reporter, clock);
    reporter.close();
    expect(err.lines()).toEqual([
      'run     portrait: 5 nodes, 3 to run, 2 cached (jobs 4, provider emulator)',
      'cached  background  out/portrait/background.png  (up to date)',
      'cached  sky  out/portrait/sky.png  (restored from the cache)',
      'start   jacket  prompt changed',
      'start   hair  new',
      'retry   jacket  submit attempt 2 in 1.5 s: HTTP 429 from https://api.example.test/v1/x?…',
      'failed  hair  E_REMOTE_FAILED: the model failed (reword the prompt)',
      'done    jacket  out/portrait/jacket.png  12.3 s',
      'skipped shoes  upstream failed',
      'warning jacket: prompt asks for two edits at once',
      'done 1 · cached 2 · failed 1 (hair) · skipped 1 · submitted 2 · spent $0.08 (2 requests) · 14.0 s · ' +
        'outputs in out/portrait',
    ]);
    expect(out.text()).toBe('');
    expect(ft.active.size).toBe(0);
  });

  it('colours verbs only when asked', () => {
    const plain = setup(false);
    play(SCENARIO, plain.reporter, plain.clock);
    expect(plain.err.text()).not.toContain('\u001b');
    const coloured = setup(true);
    play(SCENARIO, coloured.reporter, coloured.clock);
    expect(coloured.err.text()).toContain('\u001b[31mfailed\u001b[39m');
    expect(coloured.err.text()).not.toMatch(/\u001b\[\d*[AJ]|\u001b\[\?25/u);
  });
});

describe('plain reporter: the summary names the nodes whose payment is unknown', () => {
  it('lists maybe-paid (no request id) and outcome-unknown (journaled) nodes apart, and drift', () => {
    const { err, reporter } = setup();
    reporter.onEvent(
      summary({
        failed: 5,
        exit_code: 75,
        uncertain: ['hair'],
        outcome_unknown: ['jacket', 'shoes', 'sky', 'umbrella'],
        drift: ['background'],
      }),
    );
    reporter.close();
    expect(err.lines()).toEqual([
      'done 1 · cached 0 · failed 5 · skipped 0 · submitted 1 · spent $0.04 (1 request) · maybe paid 1 (hair) · ' +
        'outcome unknown 4 (jacket, shoes, sky, +1 more) · drift 1 (background) · 900 ms · outputs in out/big',
    ]);
  });
});

describe('plain reporter: the summary says what the run spent', () => {
  const last = (over: Partial<Extract<RunEvent, { type: 'run-summary' }>>): string => {
    const { err, reporter } = setup();
    reporter.onEvent(summary(over));
    reporter.close();
    const line = err.lines().at(-1) ?? '';
    return line
      .split(' · ')
      .filter((p) => /^(spent|session) /.test(p))
      .join(' · ');
  };

  it('a total at list price, nothing paid as $0.00, a sub-cent price kept', () => {
    expect(last(spent(8))).toBe('spent $0.32 (8 requests)');
    expect(last({ submitted: 0, ...spent(0) })).toBe('spent $0.00');
    expect(last(spent(5, 0.025))).toBe('spent $0.125 (5 requests)');
    expect(last(spent(3, 0.04, 1))).toBe('spent $0.12 (3 requests, 1 maybe paid)');
  });

  it('requests cancelled while queued are listed apart, not in the money', () => {
    expect(last(spent(1, 0.04, 0, 1))).toBe('spent $0.04 (1 request; 1 cancelled while queued, not billed)');
    expect(last({ submitted: 1, ...spent(0, 0.04, 0, 1) })).toBe('spent $0.00 (1 cancelled while queued, not billed)');
  });

  it('a queued cancel the provider does not document as unbilled: maybe paid, and the line says why', () => {
    const { spend } = spent(3, 0.04, 2);
    const fal = {
      ...spend,
      by_model: spend.by_model.map((l) => ({ ...l, provider: 'fal', cancelled_unconfirmed: 1 })),
    };
    expect(last({ cost_usd: 0.12, spend: { ...fal, cancelled_unconfirmed: 1 } })).toBe(
      'spent $0.12 (3 requests, 2 maybe paid, 1 of them cancelled while queued, ' +
        'which fal does not document as unbilled)',
    );
    const all = { ...fal, maybe_paid: 1, cancelled_unconfirmed: 1 };
    const session = { cost_usd: 0.2, requests: 5, maybe_paid: 1, cancelled: 0, cancelled_unconfirmed: 1, unpriced: 0 };
    expect(last({ cost_usd: 0.12, spend: all, session_spend: { ...session, known_usd: 0.2 } })).toBe(
      'spent $0.12 (3 requests, 1 maybe paid: cancelled while queued, which fal does not document as unbilled) · ' +
        'session $0.20 (5 requests, 1 maybe paid: cancelled while queued, ' +
        'which the provider does not document as unbilled)',
    );
  });

  it('a price unknown: the known part as a lower bound, or no figure at all', () => {
    const { spend } = spent(6);
    const mixed = { ...spend, unpriced: 2, known_usd: 0.16 };
    expect(last({ cost_usd: null, spend: mixed })).toBe('spent ≥ $0.16 (6 requests, 2 at an unknown price)');
    expect(last(spent(2, null))).toBe('spent unknown (2 requests, 2 at an unknown price)');
  });

  it('watch mode: the session so far after the cycle', () => {
    const session = { cost_usd: 0.2, requests: 5, maybe_paid: 0, cancelled: 0, unpriced: 0, known_usd: 0.2 };
    expect(last({ ...spent(2), session_spend: session })).toBe('spent $0.08 (2 requests) · session $0.20 (5 requests)');
  });
});

describe('plain reporter: the summary names the failed nodes', () => {
  it('the first three, then how many more: the last line of a long CI log says what to look for', () => {
    const { err, reporter } = setup();
    const failed = ['a@1', 'b@2', 'c@3', 'd@4', 'e@5'];
    reporter.onEvent({
      type: 'run-start',
      t: 0,
      recipe: 'big',
      nodes: 9,
      to_run: 9,
      cached: 0,
      jobs: 4,
      provider: 'x',
    });
    for (const node of failed)
      reporter.onEvent({
        type: 'node-failed',
        t: 0,
        node,
        code: 'E_REMOTE_FAILED',
        exit_code: 1,
        message: 'the model failed',
      });
    reporter.onEvent(summary({ failed: 5, done: 4, exit_code: 1 }));
    reporter.close();
    expect(err.lines().at(-1)).toBe(
      'done 4 · cached 0 · failed 5 (a@1, b@2, c@3, +2 more) · skipped 0 · submitted 1 · spent $0.04 (1 request) · ' +
        '900 ms · outputs in out/big',
    );
  });
});

describe('plain reporter: folding', () => {
  it('prints one count line for 10,000 cached nodes, and the rest individually', () => {
    const { err, reporter } = setup();
    reporter.onEvent({
      type: 'run-start',
      t: 0,
      recipe: 'big',
      nodes: 10_001,
      to_run: 1,
      cached: 10_000,
      jobs: 4,
      provider: 'emulator',
    });
    for (let i = 0; i < 10_000; i++) {
      reporter.onEvent({ type: 'node-cached', t: 1, node: `p@${i}`, output: `out/big/p@${i}.png`, restored: i < 5 });
    }
    reporter.onEvent({ type: 'node-start', t: 2, node: 'q', reason: 'new' });
    reporter.onEvent({
      type: 'node-done',
      t: 900,
      node: 'q',
      output: 'out/big/q.png',
      request_id: 'r',
      seed: 1,
      ms: 898,
    });
    reporter.onEvent(summary({ cached: 10_000 }));
    reporter.close();
    expect(err.lines()).toEqual([
      'run     big: 10,001 nodes, 1 to run, 10,000 cached (jobs 4, provider emulator)',
      'cached  10,000 nodes up to date (5 restored from the cache)',
      'start   q  new',
      'done    q  out/big/q.png  898 ms',
      'done 1 · cached 10,000 · failed 0 · skipped 0 · submitted 1 · spent $0.04 (1 request) · 900 ms · ' +
        'outputs in out/big',
    ]);
  });

  it('says "1 node" for a one-node run (kontext edit, a one-pass recipe)', () => {
    const { err, reporter } = setup();
    const start = { type: 'run-start', t: 0, nodes: 1, to_run: 1, cached: 0, jobs: 1, provider: 'emulator' } as const;
    reporter.onEvent({ ...start, recipe: '(kontext edit)' });
    reporter.close();
    expect(err.lines()).toEqual(['run     (kontext edit): 1 node, 1 to run, 0 cached (jobs 1, provider emulator)']);
  });

  it('lists a few cached and skipped nodes, then counts the rest', () => {
    const { err, reporter } = setup();
    reporter.onEvent({
      type: 'run-start',
      t: 0,
      recipe: 'big',
      nodes: 40,
      to_run: 28,
      cached: 3,
      jobs: 4,
      provider: 'emulator',
    });
    for (let i = 0; i < 12; i++)
      reporter.onEvent({ type: 'node-cached', t: 1, node: `c${i}`, output: `o/c${i}.png`, restored: false });
    for (let i = 0; i < 15; i++) {
      reporter.onEvent({
        type: 'node-skipped',
        t: 2,
        node: `s${i}`,
        reason: i < 13 ? 'upstream-failed' : 'interrupted',
      });
    }
    reporter.close();
    const lines = err.lines();
    expect(lines.filter((l) => /^cached {2}c\d+ {2}o\/c\d+\.png {2}\(up to date\)$/u.test(l))).toHaveLength(10);
    expect(lines.filter((l) => /^skipped s\d+ {2}(upstream failed|interrupted)$/u.test(l))).toHaveLength(10);
    expect(lines).toContain('cached  2 more nodes up to date');
    expect(lines.at(-1)).toBe('skipped 5 more nodes (3 upstream failed, 2 interrupted)');
    expect(lines).toHaveLength(1 + 10 + 1 + 10 + 1);
  });

  it('a retry names a network code in words, the code kept (walk-u 10)', () => {
    const { err, reporter } = setup();
    const start = { type: 'run-start', t: 0, recipe: 'big', nodes: 1, to_run: 1, cached: 0, jobs: 1 } as const;
    reporter.onEvent({ ...start, provider: 'emulator' });
    const retry = { type: 'node-retry', t: 1, node: 'sky', call: 'result', attempt: 1, delay_ms: 588 } as const;
    reporter.onEvent({ ...retry, reason: 'UND_ERR_SOCKET' });
    reporter.onEvent({ ...retry, reason: 'HTTP 503' });
    reporter.close();
    expect(err.lines()).toContain(
      'retry   sky  result attempt 1 in 588 ms: the connection closed mid-reply (UND_ERR_SOCKET)',
    );
    expect(err.lines()).toContain('retry   sky  result attempt 1 in 588 ms: HTTP 503');
  });

  it('a watch cycle replaced with nodes under way: one note closes their start lines (review-aa 7)', () => {
    const { err, reporter } = setup();
    const start = { type: 'run-start', t: 0, recipe: 'r', nodes: 2, to_run: 2, cached: 0, jobs: 4 } as const;
    const cycle = {
      type: 'watch-cycle',
      t: 0,
      recipe: 'r',
      in_flight: 1,
      cached: 0,
      abandoned: 1,
    } as const;
    reporter.onEvent({ ...cycle, changed: [], to_run: [], in_flight: 0, abandoned: 0 });
    reporter.onEvent({ ...start, provider: 'emulator' });
    for (const node of ['a', 'b']) reporter.onEvent({ type: 'node-start', t: 1, node, reason: 'new' });
    reporter.onEvent({ ...cycle, changed: ['/p/r.yml'], to_run: [] });
    reporter.close();
    expect(err.lines()).toContain(
      'note    cycle replaced with 2 nodes under way (a, b): the next cycle waits for those it still wants, ' +
        'the rest are abandoned',
    );
  });

  it('never folds a node that printed its start line: each gets its closing line (walk-u 4)', () => {
    const { err, reporter } = setup();
    const start = { type: 'run-start', t: 0, recipe: 'big', nodes: 30, to_run: 30, cached: 0, jobs: 16 } as const;
    reporter.onEvent({ ...start, provider: 'emulator' });
    for (let i = 0; i < 12; i++) reporter.onEvent({ type: 'node-skipped', t: 1, node: `never${i}`, reason: 'stopped' });
    for (let i = 0; i < 3; i++) reporter.onEvent({ type: 'node-start', t: 1, node: `began${i}`, reason: 'new' });
    for (let i = 0; i < 3; i++) reporter.onEvent({ type: 'node-skipped', t: 2, node: `began${i}`, reason: 'stopped' });
    reporter.onEvent({ type: 'node-start', t: 2, node: 'joined', reason: 'new' });
    reporter.onEvent({ type: 'node-cached', t: 3, node: 'joined', output: 'o/joined.png', restored: false });
    reporter.close();
    const lines = err.lines();
    for (let i = 0; i < 3; i++) expect(lines).toContain(`skipped began${i}  stopped after a failure`);
    expect(lines).toContain('cached  joined  o/joined.png  (up to date)');
    expect(lines.filter((l) => /^skipped never\d+/u.test(l))).toHaveLength(10);
    expect(lines).toContain('skipped 2 more nodes (stopped after a failure)');
  });
});
