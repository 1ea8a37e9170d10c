import { describe, expect, it } from 'vitest';
import { AwakeClock } from '../../../src/util/awake-clock.js';

function clockAt(): { clock: AwakeClock; advance: (ms: number) => void } {
  let now = 1_000;
  return { clock: new AwakeClock(1_000, () => now), advance: (ms) => (now += ms) };
}

describe('AwakeClock', () => {
  it('counts time looked at every step whole', () => {
    const { clock, advance } = clockAt();
    for (let i = 1; i <= 5; i++) {
      advance(1_000);
      expect(clock.elapsed()).toBe(i * 1_000);
    }
    advance(1_900);
    expect(clock.elapsed()).toBe(6_900);
  });

  it('leaves out a stop (a gap past two steps) but one step of it', () => {
    const { clock, advance } = clockAt();
    advance(1_000);
    expect(clock.elapsed()).toBe(1_000);
    advance(120_000); // a laptop asleep for 2 minutes
    expect(clock.elapsed()).toBe(2_000);
    advance(1_000);
    expect(clock.elapsed()).toBe(3_000);
  });

  it('counts the time before looks begin whole (watchFromNow)', () => {
    const { clock, advance } = clockAt();
    advance(5_000); // waiting for a reply's head
    clock.watchFromNow();
    advance(1_000);
    expect(clock.elapsed()).toBe(6_000);
  });
});
