import pLimit from 'p-limit';
import { describe, expect, it } from 'vitest';
import { NodeSlot } from '../../../src/run/node-slot.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('NodeSlot', () => {
  it('holds one slot of the limit, gives it up and takes it again behind the nodes waiting', async () => {
    const limit = pLimit(1);
    const a = new NodeSlot(limit);
    const b = new NodeSlot(limit);
    await a.take();
    expect(a.held).toBe(true);
    await a.take(); // already held: at once, no second slot
    let bHeld = false;
    void b.take().then(() => {
      bHeld = true;
    });
    await tick();
    expect(bHeld).toBe(false);
    a.release();
    await tick();
    expect([a.held, bHeld]).toEqual([false, true]);
    // a waits for b's slot; two takes at once share one wait.
    let aHeld = 0;
    const again = [a.take(), a.take()].map((p) =>
      p.then(() => {
        aHeld++;
      }),
    );
    await tick();
    expect(aHeld).toBe(0);
    expect(limit.activeCount).toBe(1);
    b.release();
    await Promise.all(again);
    expect([aHeld, a.held, b.held, limit.activeCount, limit.pendingCount]).toEqual([2, true, false, 1, 0]);
    a.release();
    a.release(); // not held: nothing
    await tick();
    expect(limit.activeCount).toBe(0);
  });
});
