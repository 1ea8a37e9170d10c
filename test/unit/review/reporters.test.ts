/** A drift warning and the summary's drift list in the three reporters (tty, plain, json). */
import { describe, expect, it } from 'vitest';
import { createReporter } from '../../../src/cli/reporters/index.js';
import { RunEvent, type RunEventOf } from '../../../src/run/events.js';
import { bufferSink, fakeClock, fakeTimers, replay, spent } from '../reporters/harness.js';

const SUMMARY: RunEventOf<'run-summary'> = {
  type: 'run-summary',
  t: 20,
  recipe: 'portrait',
  done: 5,
  cached: 0,
  failed: 0,
  skipped: 0,
  submitted: 5,
  exit_code: 0,
  ms: 20,
  out_dir: 'out/portrait',
  drift: ['jacket', 'umbrella', 'bag#2', 'hat\u001b[31m'],
  ...spent(5),
};

const EVENTS: RunEvent[] = [
  { type: 'run-start', t: 0, recipe: 'portrait', nodes: 5, to_run: 5, cached: 0, jobs: 4, provider: 'emulator' },
  { type: 'node-done', t: 10, node: 'jacket', output: 'out/jacket.png', request_id: 'r1', seed: 1, ms: 10 },
  { type: 'warning', t: 11, node: 'jacket', message: 'prompt asks for two edits at once' },
  {
    type: 'warning',
    t: 12,
    node: 'jacket',
    message: 'changed 41.2% of the image, over max_change 25%; 60% since the source',
    drift: { changed_pct: 41.2, chain_changed_pct: 60, max_change: 25 },
  },
  SUMMARY,
];

function play(kind: 'tty' | 'plain' | 'json', summary?: RunEvent): { out: string; err: string } {
  const out = bufferSink();
  const err = bufferSink();
  const clock = fakeClock();
  const reporter = createReporter(kind, {
    out,
    err,
    color: false,
    now: clock.now,
    timers: fakeTimers().timers,
    columns: 200,
  });
  for (const e of summary ? [...EVENTS.slice(0, -1), summary] : EVENTS) reporter.onEvent(RunEvent.parse(e));
  reporter.close();
  return { out: out.text(), err: err.text() };
}

describe('drift in the reporters', () => {
  it('tty: a drift line apart from plain warnings, and the summary names the nodes', () => {
    const lines = replay(play('tty').err).lines;
    expect(lines).toContain('! warning: jacket: prompt asks for two edits at once');
    expect(lines).toContain('! drift: jacket: changed 41.2% of the image, over max_change 25%; 60% since the source');
    const summary = lines.at(-1) ?? '';
    expect(summary).toContain('drift 4 (jacket, umbrella, bag#2, +1 more)');
  });

  it('plain: a `drift` verb, and the summary', () => {
    const { err, out } = play('plain');
    expect(out).toBe('');
    expect(err).toMatch(/^drift +jacket: changed 41\.2% of the image, over max_change 25%/m);
    expect(err).toMatch(/^warning +jacket: prompt asks/m);
    expect(err).toMatch(
      /submitted 5 · spent \$0\.20 \(5 requests\) · drift 4 \(jacket, umbrella, bag#2, \+1 more\) · /,
    );
  });

  it('json: the warning keeps its drift object and the summary its list, valid events', () => {
    const lines = play('json')
      .out.trim()
      .split('\n')
      .map((l) => RunEvent.parse(JSON.parse(l)));
    const drift = lines.find((e) => e.type === 'warning' && e.drift !== undefined);
    expect(drift).toMatchObject({
      node: 'jacket',
      drift: { changed_pct: 41.2, chain_changed_pct: 60, max_change: 25 },
    });
    expect(lines.at(-1)).toMatchObject({
      type: 'run-summary',
      drift: ['jacket', 'umbrella', 'bag#2', 'hat\u001b[31m'],
    });
  });

  it('a node name in the drift list never reaches the terminal as a control sequence', () => {
    const { err } = play('plain', { ...SUMMARY, drift: ['hat\u001b[2J'] });
    expect(err).toMatch(/drift 1 \(hat.+\)/);
    expect(err).not.toContain('\u001b');
  });
});
