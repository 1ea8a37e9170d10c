/** A `notice` (e.g. the remote cache's "uploading N…" after the summary) is shown when it comes, not at close. */
import { describe, expect, it } from 'vitest';
import { createReporter } from '../../../src/cli/reporters/index.js';
import type { RunEvent } from '../../../src/run/events.js';
import { bufferSink, fakeClock, fakeTimers, replay, spent } from './harness.js';

const summary: RunEvent = {
  type: 'run-summary',
  t: 10,
  recipe: 'r',
  done: 1,
  cached: 0,
  failed: 0,
  skipped: 0,
  submitted: 1,
  exit_code: 0,
  ms: 10,
  out_dir: 'out/r',
  ...spent(1),
};
const notice: RunEvent = { type: 'notice', t: 0, message: 'uploading 1 to remote cache…' };

describe('notice events', () => {
  for (const kind of ['tty', 'plain'] as const) {
    it(`${kind}: printed at once, even after the summary`, () => {
      const err = bufferSink();
      const clock = fakeClock();
      const reporter = createReporter(kind, {
        out: bufferSink(),
        err,
        color: false,
        now: clock.now,
        timers: fakeTimers().timers,
        columns: 60,
      });
      reporter.onEvent(summary);
      reporter.onEvent(notice);
      const lines = kind === 'tty' ? replay(err.text()).lines : err.text().split('\n');
      expect(lines.some((l) => l.includes('uploading 1 to remote cache…'))).toBe(true);
      reporter.close();
    });
  }

  it('json: one line, passed through', () => {
    const out = bufferSink();
    const reporter = createReporter('json', { out, err: bufferSink(), color: false, now: () => 0 });
    reporter.onEvent(notice);
    expect(JSON.parse(out.text().trim())).toEqual(notice);
  });
});
