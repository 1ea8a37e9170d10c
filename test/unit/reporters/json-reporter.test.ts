import { describe, expect, it } from 'vitest';
import { RunEvent } from '../../../src/run/events.js';
import { createReporter } from '../../../src/cli/reporters/index.js';
import { SCENARIO, bufferSink, events, fakeClock, play } from './harness.js';

describe('json reporter', () => {
  const out = bufferSink();
  const err = bufferSink();
  const clock = fakeClock();
  const reporter = createReporter('json', { out, err, color: true, now: clock.now });
  play(SCENARIO, reporter, clock);
  reporter.close();

  it('writes one schema-valid NDJSON line per event, in order, and nothing else', () => {
    const sent = events(SCENARIO);
    const lines = out.lines();
    expect(lines).toHaveLength(sent.length);
    const parsed = lines.map((l) => RunEvent.parse(JSON.parse(l)));
    parsed.forEach((e, i) => {
      if (e.type === 'node-retry')
        expect(e).toEqual({ ...sent[i], reason: 'HTTP 429 from https://api.example.test/v1/x?…' });
      else expect(e).toEqual(sent[i]);
    });
    expect(out.chunks.every((c) => c.endsWith('\n') && c.indexOf('\n') === c.length - 1)).toBe(true);
    expect(err.text()).toBe('');
  });

  it('scrubs URL query strings from free text', () => {
    expect(out.text()).not.toContain('SECRET123');
  });

  it('uses no colour or cursor escapes even when colour is on', () => {
    expect(out.text()).not.toContain('\u001b');
  });
});
