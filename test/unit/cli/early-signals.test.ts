/** launch.ts's early-signal hold (early-signals.ts): the first signal kept, handed over once, listeners gone. */
import { describe, expect, it } from 'vitest';
import { holdEarlySignals, takeEarlySignal } from '../../../src/cli/early-signals.js';

describe('early signals', () => {
  it('keeps the first signal while held, hands it over once, and stops listening', () => {
    const before = process.listenerCount('SIGTERM');
    holdEarlySignals();
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    const keep = process.listeners('SIGTERM').at(-1) as (signal: NodeJS.Signals) => void;
    keep('SIGTERM'); // as Node calls it on a signal (not emitted: the test worker's own handlers stay out)
    keep('SIGINT');
    expect(takeEarlySignal()).toBe('SIGTERM');
    expect(process.listenerCount('SIGTERM')).toBe(before);
    expect(takeEarlySignal()).toBeUndefined();
  });

  it('nothing held: nothing to hand over', () => {
    expect(takeEarlySignal()).toBeUndefined();
  });
});
