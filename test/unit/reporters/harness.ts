/** Test doubles for reporters: a buffer sink, a fake clock, fake timers, a tiny terminal. */
import type { RunEvent, RunEventOf } from '../../../src/run/events.js';
import { createReporter, type IntervalTimers } from '../../../src/cli/reporters/index.js';

export interface BufferSink {
  write(chunk: string): boolean;
  readonly chunks: string[];
  text(): string;
  lines(): string[];
}

export function bufferSink(): BufferSink {
  const chunks: string[] = [];
  return {
    chunks,
    write(chunk) {
      chunks.push(chunk);
      return true;
    },
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l, i, all) => i < all.length - 1 || l !== ''),
  };
}

export function fakeClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

export interface FakeTimers {
  readonly timers: IntervalTimers;
  /** Handles not yet cleared. */
  readonly active: Map<number, { fn: () => void; ms: number }>;
  /** Fire every active interval once. */
  tick(): void;
}

export function fakeTimers(): FakeTimers {
  const active = new Map<number, { fn: () => void; ms: number }>();
  let next = 1;
  return {
    active,
    timers: {
      setInterval(fn, ms) {
        active.set(next, { fn, ms });
        return next++;
      },
      clearInterval(handle) {
        active.delete(handle as number);
      },
    },
    tick() {
      for (const t of [...active.values()]) t.fn();
    },
  };
}

/**
 * Just enough of a terminal to replay the tty reporter's output: text, `\n`, `\r`,
 * cursor up (`ESC[nA`), erase below (`ESC[J`), cursor hide/show; colours are ignored.
 */
export function replay(output: string): { lines: string[]; cursorHidden: boolean } {
  const lines: string[] = [''];
  let row = 0;
  let col = 0;
  let cursorHidden = false;
  const re = /\u001b\[(\?25[lh]|\d*A|J|[0-9;]*m)|\n|\r|[^\u001b\n\r]/gu;
  for (const m of output.matchAll(re)) {
    const tok = m[0];
    const seq = m[1];
    if (tok === '\n') {
      row++;
      col = 0;
      while (lines.length <= row) lines.push('');
    } else if (tok === '\r') col = 0;
    else if (seq === '?25l') cursorHidden = true;
    else if (seq === '?25h') cursorHidden = false;
    else if (seq?.endsWith('A')) row = Math.max(0, row - Number(seq.slice(0, -1) || '1'));
    else if (seq === 'J') {
      lines.length = row + 1;
      lines[row] = (lines[row] ?? '').slice(0, col);
    } else if (seq === undefined) {
      const line = lines[row] ?? '';
      lines[row] = line.slice(0, col).padEnd(col) + tok + line.slice(col + 1);
      col++;
    }
  }
  if (lines[lines.length - 1] === '') lines.pop();
  return { lines, cursorHidden };
}

type Script = readonly (RunEvent | { advance: number })[];

/** The shared story: two cached nodes, a retry, a failure, a done node, a skip, a warning. */
/**
 * A `run-summary`'s spend fields: `requests` at `priceUsd` each on the emulator (`null`: at an
 * unknown price), `maybePaid` of them with no reply, `cancelled` more cancelled while queued (unbilled).
 */
export function spent(
  requests: number,
  priceUsd: number | null = 0.04,
  maybePaid = 0,
  cancelled = 0,
): Pick<RunEventOf<'run-summary'>, 'cost_usd' | 'spend'> {
  const known = priceUsd === null ? 0 : Math.round(priceUsd * requests * 1e6) / 1e6;
  const unpriced = priceUsd === null ? requests : 0;
  const byModel = requests === 0 ? [] : [{ provider: 'emulator', model: 'kontext', requests, price_usd: priceUsd }];
  return {
    cost_usd: priceUsd === null && requests > 0 ? null : known,
    spend: { requests, maybe_paid: maybePaid, cancelled, unpriced, known_usd: known, by_model: byModel },
  };
}

export const SCENARIO: Script = [
  { type: 'run-start', t: 0, recipe: 'portrait', nodes: 5, to_run: 3, cached: 2, jobs: 4, provider: 'emulator' },
  { type: 'node-cached', t: 1, node: 'background', output: 'out/portrait/background.png', restored: false },
  { type: 'node-cached', t: 1, node: 'sky', output: 'out/portrait/sky.png', restored: true },
  { type: 'node-start', t: 2, node: 'jacket', reason: 'prompt-changed' },
  { type: 'node-start', t: 2, node: 'hair', reason: 'new' },
  { type: 'node-state', t: 3, node: 'jacket', phase: 'submitting' },
  { advance: 500 },
  {
    type: 'node-retry',
    t: 500,
    node: 'jacket',
    call: 'submit',
    attempt: 2,
    delay_ms: 1500,
    reason: 'HTTP 429 from https://api.example.test/v1/x?sig=SECRET123',
  },
  { advance: 1500 },
  { type: 'node-state', t: 2000, node: 'jacket', phase: 'queued', position: 3 },
  { type: 'node-state', t: 2000, node: 'hair', phase: 'running' },
  { advance: 1000 },
  {
    type: 'node-failed',
    t: 3000,
    node: 'hair',
    code: 'E_REMOTE_FAILED',
    exit_code: 1,
    message: 'the model failed',
    hint: 'reword the prompt',
  },
  { type: 'node-state', t: 3000, node: 'jacket', phase: 'downloading', bytes: 420, total: 1000 },
  { advance: 9345 },
  {
    type: 'node-done',
    t: 12345,
    node: 'jacket',
    output: 'out/portrait/jacket.png',
    request_id: 'r-1',
    seed: 7,
    ms: 12345,
  },
  { type: 'node-skipped', t: 12345, node: 'shoes', reason: 'upstream-failed' },
  { type: 'warning', t: 12346, node: 'jacket', message: 'prompt asks for two edits at once' },
  { advance: 1655 },
  {
    type: 'run-summary',
    t: 14000,
    recipe: 'portrait',
    done: 1,
    cached: 2,
    failed: 1,
    skipped: 1,
    submitted: 2,
    exit_code: 1,
    ms: 14000,
    out_dir: 'out/portrait',
    ...spent(2),
  },
];

/** Feed a script to a reporter; `onStep` runs after every event or clock step (e.g. a timer tick). */
export function play(
  script: Script,
  reporter: { onEvent(e: RunEvent): void },
  clock: { advance: (ms: number) => void },
  onStep: () => void = () => {},
): void {
  for (const step of script) {
    if ('advance' in step) clock.advance(step.advance);
    else reporter.onEvent(step);
    onStep();
  }
}

export const events = (script: Script): RunEvent[] => script.filter((s): s is RunEvent => !('advance' in s));

/** A plain reporter on buffers, a fake clock and fake timers. */
export function plainRig(color = false) {
  const out = bufferSink();
  const err = bufferSink();
  const clock = fakeClock();
  const ft = fakeTimers();
  const reporter = createReporter('plain', { out, err, color, now: clock.now, timers: ft.timers });
  return { out, err, clock, ft, reporter };
}

/** A run-summary event of a one-node run, with `over` laid on it. */
export const plainSummary = (over: Partial<Extract<RunEvent, { type: 'run-summary' }>> = {}): RunEvent => ({
  type: 'run-summary',
  t: 0,
  recipe: 'big',
  done: 1,
  cached: 0,
  failed: 0,
  skipped: 0,
  submitted: 1,
  exit_code: 0,
  ms: 900,
  out_dir: 'out/big',
  ...spent(1),
  ...over,
});

/** A one-node run's start, on the emulator, -j 1. */
export const oneNodeRunStart = (): Extract<RunEvent, { type: 'run-start' }> => ({
  type: 'run-start',
  t: 0,
  recipe: 'r',
  nodes: 1,
  to_run: 1,
  cached: 0,
  jobs: 1,
  provider: 'emulator',
});
