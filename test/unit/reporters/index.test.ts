import { describe, expect, it } from 'vitest';
import { chooseReporterKind, createReporter, type ReporterKind } from '../../../src/cli/reporters/index.js';
import { bufferSink, fakeClock, fakeTimers, oneNodeRunStart, replay } from './harness.js';

describe('chooseReporterKind', () => {
  it.each([
    [{ json: true, isTTY: true }, 'json'],
    [{ json: true, isTTY: false }, 'json'],
    [{ json: false, isTTY: true }, 'tty'],
    [{ json: false, isTTY: false }, 'plain'],
  ] as const)('%o → %s', (opts, kind) => {
    expect(chooseReporterKind(opts)).toBe(kind);
  });
});

describe('createReporter', () => {
  const runStart = oneNodeRunStart();

  it.each(['tty', 'plain', 'json'] as const)(
    '%s: writes somewhere, and leaves no timer behind after close',
    (kind: ReporterKind) => {
      const out = bufferSink();
      const err = bufferSink();
      const ft = fakeTimers();
      const reporter = createReporter(kind, { out, err, color: false, now: fakeClock().now, timers: ft.timers });
      reporter.onEvent(runStart);
      ft.tick();
      reporter.close();
      reporter.close();
      expect(out.text() + err.text()).toContain('r');
      expect((kind === 'json' ? err : out).text()).toBe('');
      expect(ft.active.size).toBe(0);
    },
  );

  it('tty: a terminal reporting 0 columns (a bare pty) gets 80, not a 1-column view', () => {
    const err = { ...bufferSink(), columns: 0 };
    const sink = bufferSink();
    err.write = sink.write;
    const ft = fakeTimers();
    const reporter = createReporter('tty', {
      out: bufferSink(),
      err,
      color: false,
      now: fakeClock().now,
      timers: ft.timers,
      rows: 0,
    });
    reporter.onEvent(runStart);
    reporter.onEvent({ type: 'node-start', t: 0, node: 'a', reason: 'new' });
    ft.tick();
    expect(replay(sink.text()).lines).toEqual([
      'r  0 ms  0/1 done · 1 running · 0 failed · 0 cached',
      '  a  starting  0 ms',
    ]);
    reporter.close();
  });
});
