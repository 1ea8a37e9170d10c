import { describe, expect, it } from 'vitest';
import { createReporter } from '../../../src/cli/reporters/index.js';
import { stripAnsi, visibleWidth } from '../../../src/cli/reporters/ansi.js';
import { DONE_FOLD_LIMIT } from '../../../src/cli/reporters/fold.js';
import { REDRAW_MS } from '../../../src/cli/reporters/tty-reporter.js';
import type { RunEvent } from '../../../src/run/events.js';
import { SCENARIO, bufferSink, fakeClock, fakeTimers, play, replay, spent } from './harness.js';

const SGR = /\u001b\[[0-9;]*m/u;

function setup(opts: { color?: boolean; columns?: number; rows?: number; explain?: boolean } = {}) {
  const out = bufferSink();
  const err = bufferSink();
  const clock = fakeClock();
  const ft = fakeTimers();
  const reporter = createReporter('tty', {
    out,
    err,
    color: opts.color ?? false,
    now: clock.now,
    timers: ft.timers,
    columns: opts.columns ?? 60,
    rows: opts.rows,
    explain: opts.explain,
  });
  return { out, err, clock, ft, reporter };
}

const start = (n: number): RunEvent => ({
  type: 'run-start',
  t: 0,
  recipe: 'portrait',
  nodes: n,
  to_run: n,
  cached: 0,
  jobs: 16,
  provider: 'emulator',
});

describe('tty reporter: the scripted run', () => {
  const { out, err, clock, ft, reporter } = setup();
  const screens: string[][] = [];
  play(SCENARIO, reporter, clock, () => {
    ft.tick();
    screens.push(replay(err.text()).lines);
  });
  const before = err.chunks.length;
  reporter.close();

  it('shows a header with counts and one live line per running node with its phase', () => {
    const midRun = screens.find(
      (s) => s.some((l) => l.includes('queued #3')) && s.some((l) => l.includes('hair    running')),
    );
    expect(midRun).toBeDefined();
    expect(midRun).toContain('portrait  2.0 s  0/3 done · 2 running · 0 failed · 2 cached');
    expect(midRun).toContain('  jacket  queued #3  2.0 s');
    expect(midRun).toContain('  hair    running    2.0 s');
    const retrying = screens.find((s) => s.some((l) => l.includes('retry 2')));
    expect(retrying).toContain('  jacket  submitting · retry 2  500 ms');
    expect(screens.some((s) => s.includes('  jacket  downloading 42%  3.0 s'))).toBe(true);
  });

  it('leaves finished nodes above as permanent lines and ends with the summary, cursor shown', () => {
    const final = replay(err.text());
    expect(final.lines).toEqual([
      '· cached 2 nodes up to date (1 restored from the cache)',
      '✗ hair  E_REMOTE_FAILED: the model failed (reword the prompt)',
      '✓ jacket  out/portrait/jacket.png  12.3 s',
      '- shoes  upstream failed',
      '! warning: jacket: prompt asks for two edits at once',
      'done 1 · cached 2 · failed 1 (hair) · skipped 1 · submitted 2 · spent $0.08 (2 requests) · 14.0 s · ' +
        'outputs in out/portrait',
    ]);
    expect(final.cursorHidden).toBe(false);
    expect(err.text()).toContain('\u001b[?25l');
  });

  it('uses cursor movement but no colour when colour is off, and never writes to out', () => {
    expect(err.text()).not.toMatch(SGR);
    expect(err.text()).toMatch(/\u001b\[\d+A/u);
    expect(out.text()).toBe('');
  });

  it('stops its timer at the summary and writes nothing more on close', () => {
    expect(ft.active.size).toBe(0);
    expect(err.chunks.length).toBe(before);
  });
});

describe('tty reporter: throttling and timers', () => {
  it('draws only on timer ticks, at the redraw period, however many events arrive', () => {
    const { err, ft, reporter } = setup();
    reporter.onEvent(start(500));
    for (let i = 0; i < 500; i++) reporter.onEvent({ type: 'node-start', t: 1, node: `n${i}`, reason: 'new' });
    for (let i = 0; i < 100; i++) {
      reporter.onEvent({
        type: 'node-done',
        t: 2,
        node: `n${i}`,
        output: `o/n${i}.png`,
        request_id: 'r',
        seed: 1,
        ms: 5,
      });
    }
    expect(err.chunks).toHaveLength(0);
    expect([...ft.active.values()].map((t) => t.ms)).toEqual([REDRAW_MS]);
    ft.tick();
    expect(err.chunks).toHaveLength(1);
    // The first of them listed, the rest counted on the next permanent line (walk-t 10).
    expect(replay(err.text()).lines.filter((l) => l.startsWith('✓ '))).toHaveLength(DONE_FOLD_LIMIT);
    reporter.close();
    expect(ft.active.size).toBe(0);
  });

  it('on close without a summary (a crash), erases the live block and shows the cursor', () => {
    const { err, ft, reporter } = setup();
    reporter.onEvent(start(2));
    reporter.onEvent({ type: 'node-start', t: 1, node: 'a', reason: 'new' });
    ft.tick();
    expect(replay(err.text()).lines).toHaveLength(2);
    reporter.close();
    expect(replay(err.text())).toEqual({ lines: [], cursorHidden: false });
    expect(ft.active.size).toBe(0);
    reporter.onEvent({ type: 'node-start', t: 1, node: 'b', reason: 'new' });
    expect(ft.active.size).toBe(0);
  });

  it('stacks one summary per cycle when reused across runs (watch mode)', () => {
    const { err, ft, reporter } = setup();
    for (const ms of [100, 200]) {
      reporter.onEvent(start(1));
      reporter.onEvent({ type: 'node-start', t: 1, node: 'a', reason: 'prompt-changed' });
      ft.tick();
      reporter.onEvent({ type: 'node-done', t: ms, node: 'a', output: 'o/a.png', request_id: 'r', seed: 1, ms });
      reporter.onEvent({
        type: 'run-summary',
        t: ms,
        recipe: 'portrait',
        done: 1,
        cached: 0,
        failed: 0,
        skipped: 0,
        submitted: 1,
        exit_code: 0,
        ms,
        out_dir: 'o',
        ...spent(1),
      });
      expect(ft.active.size).toBe(0);
    }
    reporter.close();
    expect(replay(err.text()).lines).toEqual([
      '✓ a  o/a.png  100 ms',
      'done 1 · cached 0 · failed 0 · skipped 0 · submitted 1 · spent $0.04 (1 request) · 100 ms · outputs in o',
      '✓ a  o/a.png  200 ms',
      'done 1 · cached 0 · failed 0 · skipped 0 · submitted 1 · spent $0.04 (1 request) · 200 ms · outputs in o',
    ]);
  });
});

describe('tty reporter: layout', () => {
  it('keeps every live line within the terminal width, colour or not', () => {
    for (const color of [false, true]) {
      const { err, ft, clock, reporter } = setup({ color, columns: 40 });
      reporter.onEvent(start(3));
      reporter.onEvent({
        type: 'node-start',
        t: 1,
        node: `${'very-long-pass-name'.repeat(3)}@img_0001#3`,
        reason: 'new',
      });
      reporter.onEvent({ type: 'node-state', t: 1, node: 'x', phase: 'downloading', bytes: 12_345_678 });
      clock.advance(123_000);
      ft.tick();
      const live = replay(err.text()).lines;
      expect(live.length).toBe(3);
      for (const line of live) expect(visibleWidth(line)).toBeLessThanOrEqual(40);
      expect(stripAnsi(live[0] ?? '')).toContain('2 m 03 s');
      expect(err.text().match(SGR) !== null).toBe(color);
      reporter.close();
    }
  });

  it('lists at most 8 running nodes, then "… and N more"; fewer on a short terminal', () => {
    for (const [rows, shown] of [
      [undefined, 8],
      [6, 3],
    ] as const) {
      const { err, ft, reporter } = setup({ rows });
      reporter.onEvent(start(12));
      for (let i = 0; i < 12; i++) reporter.onEvent({ type: 'node-start', t: 1, node: `n${i}`, reason: 'new' });
      ft.tick();
      const lines = replay(err.text()).lines;
      expect(lines[0]).toContain('12 running');
      expect(lines.filter((l) => /^ {2}n\d+ /u.test(l))).toHaveLength(shown);
      expect(lines.at(-1)).toBe(`  … and ${12 - shown} more`);
      reporter.close();
    }
  });

  it('reads the terminal size at each redraw: a resize is drawn at the new size (walk-u 3)', () => {
    const err = { ...bufferSink(), isTTY: true, columns: 120, rows: 40 };
    const clock = fakeClock();
    const ft = fakeTimers();
    const reporter = createReporter('tty', { out: bufferSink(), err, color: false, now: clock.now, timers: ft.timers });
    reporter.onEvent(start(12));
    for (let i = 0; i < 12; i++)
      reporter.onEvent({ type: 'node-start', t: 1, node: `a-rather-long-pass-name-number-${i}@photo`, reason: 'new' });
    ft.tick();
    expect(Math.max(...replay(err.text()).lines.map(visibleWidth))).toBeGreaterThan(50);
    err.columns = 50;
    err.rows = 6;
    err.chunks.length = 0;
    ft.tick();
    const lines = replay(err.text()).lines;
    for (const line of lines) expect(visibleWidth(line)).toBeLessThanOrEqual(49);
    expect(lines.length).toBeLessThanOrEqual(5); // header, 3 nodes, "… and 9 more": within 6 rows
    expect(lines.at(-1)).toBe('  … and 9 more');
    reporter.close();
  });

  it('a wide recipe name and long node ids: each line fits, ids keep their @instance#k (walk-u 2, 8)', () => {
    const { err, ft, reporter } = setup({ columns: 40 });
    reporter.onEvent({ ...(start(2) as Extract<RunEvent, { type: 'run-start' }>), recipe: '写真の編集レシピ🎨.yml' });
    for (const k of [1, 2])
      reporter.onEvent({
        type: 'node-start',
        t: 1,
        node: `colour-grade-with-a-very-long-pass-identifier@pet-chelsea#${k}`,
        reason: 'new',
      });
    ft.tick();
    const lines = replay(err.text()).lines;
    for (const line of lines) expect(visibleWidth(line)).toBeLessThanOrEqual(39);
    const ids = lines.slice(1).map((l) => l.trim().split(/\s+/u)[0]);
    expect(ids).toEqual(['colour-grade-with…@pet-chelsea#1', 'colour-grade-with…@pet-chelsea#2']);
    reporter.close();
  });

  it('a tab or newline in the recipe path, a narrow or short terminal: each block line fits one row', () => {
    const frames = (columns: number, rows: number | undefined, recipe: string): string[] => {
      const { err, ft, reporter } = setup({ columns, ...(rows === undefined ? {} : { rows }) });
      reporter.onEvent({ ...(start(4) as Extract<RunEvent, { type: 'run-start' }>), recipe });
      for (let i = 0; i < 4; i++) reporter.onEvent({ type: 'node-start', t: 1, node: `n${i}`, reason: 'new' });
      ft.tick();
      const lines = replay(err.text()).lines;
      reporter.close();
      return lines;
    };
    const tabbed = frames(60, 12, 't\tab/n\nl/r.yml');
    expect(tabbed[0]).toMatch(/^t\\tab\/n\\nl\/r\.yml {2}/);
    expect(tabbed.every((l) => !/[\t\n]/.test(l))).toBe(true);
    expect(frames(8, 12, 'r.yml')).toEqual([]); // too narrow for a block: none
    expect(frames(40, 3, 'r.yml').map((l) => l.split('  ')[0])).toEqual(['r.yml']); // the header alone
    expect(frames(40, 1, 'r.yml')).toEqual([]);
  });

  it('with --explain, says why each node runs', () => {
    const { err, ft, reporter } = setup({ explain: true });
    reporter.onEvent(start(2));
    reporter.onEvent({ type: 'node-start', t: 1, node: 'jacket', reason: 'input-changed' });
    reporter.onEvent({ type: 'node-start', t: 1, node: 'bg', reason: 'reattach' });
    ft.tick();
    const lines = replay(err.text()).lines;
    expect(lines).toContain('→ jacket  input changed (source file or upstream output changed)');
    expect(lines).toContain('→ bg  re-attaching to a paid request');
    reporter.close();
  });

  it('without --explain, prints no start lines', () => {
    const { err, ft, reporter } = setup();
    reporter.onEvent(start(1));
    reporter.onEvent({ type: 'node-start', t: 1, node: 'jacket', reason: 'new' });
    ft.tick();
    expect(err.text()).not.toContain('→');
    reporter.close();
  });
});

describe('tty reporter: a large run (walk-t 10)', () => {
  const done = (i: number): RunEvent => ({
    type: 'node-done',
    t: i,
    node: `n${i}`,
    output: `o/n${i}.png`,
    request_id: `r${i}`,
    seed: i,
    ms: 10,
  });

  it(`lists the first ${DONE_FOLD_LIMIT} finished nodes of a run, then counts them; a failure keeps its line`, () => {
    const { err, ft, reporter } = setup();
    const n = DONE_FOLD_LIMIT + 1_000;
    reporter.onEvent(start(n + 1));
    for (let i = 0; i < n - 10; i++) reporter.onEvent(done(i));
    ft.tick();
    reporter.onEvent({ type: 'node-failed', t: 1, node: 'bad', message: 'moderated', code: 'E_REMOTE', exit_code: 1 });
    for (let i = n - 10; i < n; i++) reporter.onEvent(done(i));
    reporter.close();
    const lines = replay(err.text()).lines;
    expect(lines.filter((l) => /^✓ n\d+ /u.test(l))).toHaveLength(DONE_FOLD_LIMIT);
    expect(lines.filter((l) => l.startsWith('✓ ') && l.includes('more nodes done'))).toEqual([
      `✓ ${(n - 10 - DONE_FOLD_LIMIT).toLocaleString('en-US')} more nodes done`,
      '✓ 10 more nodes done',
    ]);
    const failed = lines.findIndex((l) => l.startsWith('✗ bad'));
    expect(lines[failed - 1]).toContain(`${(n - 10 - DONE_FOLD_LIMIT).toLocaleString('en-US')} more nodes done`);
    expect(lines.length).toBeLessThan(DONE_FOLD_LIMIT + 10);
  });

  it('with --explain, every finished node keeps its line (each start had one); each run lists its first', () => {
    const { err, reporter } = setup({ explain: true });
    reporter.onEvent(start(DONE_FOLD_LIMIT + 5));
    for (let i = 0; i < DONE_FOLD_LIMIT + 5; i++) reporter.onEvent(done(i));
    reporter.close();
    expect(replay(err.text()).lines.filter((l) => /^✓ n\d+ /u.test(l))).toHaveLength(DONE_FOLD_LIMIT + 5);

    const plain = setup();
    for (const run of [0, 1]) {
      plain.reporter.onEvent(start(DONE_FOLD_LIMIT + 1));
      for (let i = 0; i <= DONE_FOLD_LIMIT; i++) plain.reporter.onEvent(done(i));
      plain.reporter.onEvent({
        type: 'run-summary',
        t: 1,
        recipe: 'portrait',
        done: DONE_FOLD_LIMIT + 1,
        cached: 0,
        failed: 0,
        skipped: 0,
        submitted: 0,
        exit_code: 0,
        ms: run,
        out_dir: 'o',
        ...spent(0),
      });
    }
    plain.reporter.close();
    const lines = replay(plain.err.text()).lines;
    expect(lines.filter((l) => /^✓ n\d+ /u.test(l))).toHaveLength(2 * DONE_FOLD_LIMIT);
    expect(lines.filter((l) => l === '✓ 1 more node done')).toHaveLength(2);
  });
});
