import { describe, expect, it } from 'vitest';
import { HEARTBEAT_QUIET_MS } from '../../../src/cli/reporters/plain-reporter.js';
import { oneNodeRunStart as runStart, plainRig as setup, plainSummary as summary } from './harness.js';

describe('plain reporter: heartbeat', () => {
  it('names what is still running after a long silence, then stops its timer', () => {
    const { err, clock, ft, reporter } = setup();
    reporter.onEvent(runStart());
    reporter.onEvent({ type: 'node-start', t: 0, node: 'slow', reason: 'new' });
    reporter.onEvent({ type: 'node-state', t: 0, node: 'slow', phase: 'queued', position: 2 });
    expect(ft.active.size).toBe(1);
    // The interval's 5 s checks: quiet for 29.999 s, nothing said.
    for (let i = 0; i < HEARTBEAT_QUIET_MS / 5_000 - 1; i++) {
      clock.advance(5_000);
      ft.tick();
    }
    clock.advance(4_999);
    ft.tick();
    expect(err.lines()).toHaveLength(2);
    clock.advance(1);
    ft.tick();
    expect(err.lines().at(-1)).toBe('running 1 node: slow queued #2 (30.0 s)');
    clock.advance(5_000);
    ft.tick();
    expect(err.lines()).toHaveLength(3);
    reporter.onEvent(summary({ recipe: 'r' }));
    expect(ft.active.size).toBe(0);
  });

  it('after the process was stopped (a laptop asleep) says so once, not the states from before', () => {
    const { err, clock, ft, reporter } = setup();
    reporter.onEvent(runStart());
    reporter.onEvent({ type: 'node-start', t: 0, node: 'slow', reason: 'new' });
    reporter.onEvent({ type: 'node-state', t: 0, node: 'slow', phase: 'queued', position: 2 });
    clock.advance(5_000);
    ft.tick();
    // The next check comes 2 minutes late: the process was stopped.
    clock.advance(125_000);
    ft.tick();
    expect(err.lines().at(-1)).toBe('resumed after 2 m 00 s stopped (asleep?): the running nodes are read again now');
    expect(err.lines().join('\n')).not.toContain('queued #2 (2 m');
    // Then the heartbeat as usual once quiet for 30 s.
    for (let i = 0; i < 6; i++) {
      clock.advance(5_000);
      ft.tick();
    }
    expect(err.lines().at(-1)).toMatch(/^running 1 node: slow queued #2 \(2 m 40 s\)$/);
  });

  it('clears its timer on close even without a summary', () => {
    const { ft, reporter } = setup();
    reporter.onEvent(runStart());
    expect(ft.active.size).toBe(1);
    reporter.close();
    expect(ft.active.size).toBe(0);
    reporter.onEvent(runStart());
    expect(ft.active.size).toBe(0);
  });
});

describe('plain reporter: --explain and watch lines', () => {
  it('prints node-plan, watch-cycle and watch-error events, scrubbing URL queries', () => {
    const { err, reporter } = setup();
    reporter.onEvent({
      type: 'node-plan',
      t: 0,
      node: 'jacket',
      reason: 'prompt-changed',
      input: 'reuse hosted URL https://b.example/k.png?X-Amz-Signature=abc',
    });
    reporter.onEvent({
      type: 'watch-cycle',
      t: 0,
      recipe: 'r.yml',
      changed: ['/p/r.yml'],
      to_run: [{ node: 'jacket', reason: 'prompt-changed' }],
      in_flight: 0,
      cached: 3,
      stopped: 2,
      abandoned: 1,
    });
    reporter.onEvent({
      type: 'watch-error',
      t: 0,
      recipe: 'r.yml',
      kind: 'invalid',
      problems: ['r.yml:3:5: unknown key "promt"'],
    });
    // A valid recipe whose cycle stopped before its run is not said to be invalid (walk-g 1).
    reporter.onEvent({
      type: 'watch-error',
      t: 0,
      recipe: 'r.yml',
      kind: 'stopped',
      problems: ['--max-cost: 3 requests for $0.12, over --max-cost $0.05; nothing was submitted'],
    });
    reporter.close();
    const lines = err.lines();
    expect(lines[0]).toBe('explain jacket  prompt changed  ← reuse hosted URL https://b.example/k.png?…');
    expect(lines[1]).toMatch(
      /^watch {3}r\.yml: r\.yml changed → 1 to run \(jacket prompt changed\).*3 cached, 2 stopped, 1 abandoned/,
    );
    expect(lines.slice(2)).toEqual([
      'invalid r.yml: invalid; keeping the last good plan and watching',
      '  r.yml:3:5: unknown key "promt"',
      'stopped r.yml: cycle stopped: --max-cost: 3 requests for $0.12, over --max-cost $0.05; nothing was submitted; ' +
        'watching',
    ]);
  });
});
