/**
 * A server's message holding a bidi override or an invisible character: every reporter prints it
 * so that the words show in their order and nothing hides (`\u{202E}` on the TTY and plain lines;
 * a JSON `\u202e` escape in --json, the same string once parsed). Real writing (an emoji's ZWJ, a
 * Persian ZWNJ) prints as it is.
 */
import { describe, expect, it } from 'vitest';
import { createReporter } from '../../../src/cli/reporters/index.js';
import { renderError } from '../../../src/cli/render-error.js';
import { KontextError } from '../../../src/errors.js';
import type { RunEvent } from '../../../src/run/events.js';
import { bufferSink, fakeClock, fakeTimers } from './harness.js';

const MESSAGE =
  'refused: \u202Egnp.exe\u200B and \u{E0069}\u{E0067} (👩\u200D💻 \u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645)';
const UNSEEN = /[\u202A-\u202E\u2066-\u2069\u200B\u{E0000}-\u{E007F}]/u;

const FAILED: RunEvent = {
  type: 'node-failed',
  t: 0,
  node: 'hat',
  code: 'E_REMOTE_FAILED',
  exit_code: 1,
  message: MESSAGE,
  hint: 'see \u2066the\u2069 log',
};

function printed(kind: 'tty' | 'plain' | 'json'): string {
  const out = bufferSink();
  const err = bufferSink();
  const ft = fakeTimers();
  const reporter = createReporter(kind, { out, err, color: false, now: fakeClock().now, timers: ft.timers });
  reporter.onEvent(FAILED);
  ft.tick();
  reporter.close();
  return out.text() + err.text();
}

describe('a bidi control or invisible character in a server message', () => {
  it.each(['tty', 'plain'] as const)('%s: written out as \\u{…}, real writing kept', (kind) => {
    const text = printed(kind);
    expect(text).not.toMatch(UNSEEN);
    expect(text).toContain('refused: \\u{202E}gnp.exe\\u{200B} and \\u{E0069}\\u{E0067}');
    expect(text).toContain('see \\u{2066}the\\u{2069} log');
    expect(text).toContain('👩\u200D💻 \u0645\u06CC\u200C\u062E');
  });

  it('--json: escaped in the JSON text, the exact message once parsed', () => {
    const text = printed('json');
    expect(text).not.toMatch(UNSEEN);
    expect(text).toContain('\\u202egnp.exe\\u200b and \\udb40\\udc69');
    const event = JSON.parse(text) as { message: string; hint: string };
    expect(event.message).toBe(MESSAGE);
    expect(event.hint).toBe('see \u2066the\u2069 log');
  });
});

it('an error line (render-error.ts) writes them out too', () => {
  const rendered = renderError(new KontextError('E_X', MESSAGE, { hint: 'a \u202Eb' }), { debug: false, secrets: [] });
  const text = rendered.lines.join('\n');
  expect(text).not.toMatch(UNSEEN);
  expect(text).toContain('\\u{202E}gnp.exe\\u{200B}');
  expect(text).toContain('(a \\u{202E}b)');
});
