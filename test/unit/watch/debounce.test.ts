import { describe, expect, it } from 'vitest';
import { debounce } from '../../../src/watch/debounce.js';
import { stopEventLoop } from '../../helpers/stopped.js';

describe('debounce', () => {
  it('gathers what was pushed within its quiet time into one batch', async () => {
    const batches: string[][] = [];
    const d = debounce<string>(30, (items) => batches.push(items));
    d.push('a');
    d.push('b');
    d.push('a');
    await new Promise((r) => setTimeout(r, 80));
    expect(batches).toEqual([['a', 'b']]);
  });

  it('after a stop, what comes on waking joins the batch the late timer holds (walk-ac 6)', async () => {
    const batches: string[][] = [];
    const d = debounce<string>(50, (items) => batches.push(items));
    d.push('a');
    // A save during the stop, told on waking just after the late timer (chokidar holds its events
    // a little: due after the debounce's, both overdue when the process runs again).
    setTimeout(() => d.push('b'), 70);
    setTimeout(() => stopEventLoop(500), 10); // the process stopped past the quiet time
    await new Promise((r) => setTimeout(r, 800));
    expect(batches).toEqual([['a', 'b']]);
  });
});
