/**
 * An embedder's `onEvent` that throws on the watch session's own events (`watch-error`,
 * `watch-cycle`; a bug of its own, a closed connection it writes to) never breaks watching: the
 * cycle plans, runs and follows its targets as if it had not thrown, and each cycle's first such
 * exception reaches the watcher's `onCycleError` as one E_EVENT_LISTENER (exit 70), the listener's
 * error as its cause. Thrown into the cycle's planning, it had started no run, and on a first
 * cycle whose recipe did not load it had left nothing watched: creating the missing source
 * started nothing, ever.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KontextError, type RunEvent } from '../../../src/index.js';
import { ASSETS, until } from '../../helpers/run-fixtures.js';
import { HEAD, startWatchRig, type WatchRig } from './harness.js';

const A = 'Keep the product unchanged. Replace the background with white.';

function recipe(source: string): string {
  return [
    'version: 1',
    'name: test',
    'provider: runcomfy',
    ...HEAD,
    'sources:',
    `  shot: ${source}`,
    'passes:',
    '  - id: a',
    `    prompt: ${JSON.stringify(A)}`,
    '',
  ].join('\n');
}

let rig: WatchRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** Throws on every event of the given types. */
function throwingOn(...types: RunEvent['type'][]): { readonly error: Error; readonly onEvent: (e: RunEvent) => void } {
  const error = new Error('socket closed');
  return {
    error,
    onEvent: (e) => {
      if (types.includes(e.type)) throw error;
    },
  };
}

function expectListenerErrors(errors: readonly unknown[], cause: Error, types: readonly string[]): void {
  expect(
    errors.map((e) => (e instanceof KontextError ? [e.code, e.exitCode, e.cause === cause, e.message] : e)),
  ).toEqual(
    types.map((t) => ['E_EVENT_LISTENER', 70, true, `the onEvent listener threw on a ${t} event: socket closed`]),
  );
}

describe('watch: a listener that throws on the session’s own events', () => {
  it('on watch-error: the missing source is still watched, and creating it runs the pass', async () => {
    const listener = throwingOn('watch-error');
    rig = await startWatchRig(recipe('incoming/shot.jpg'), { onEvent: listener.onEvent });
    await until(() => (rig?.errors.length ?? 0) >= 1, 8_000, 'the listener error reported');
    expectListenerErrors(rig.errors, listener.error, ['watch-error']);

    await mkdir(join(rig.project.root, 'incoming'));
    await copyFile(join(ASSETS, 'product-coffee.jpg'), join(rig.project.root, 'incoming', 'shot.jpg'));
    const cycle = await rig.cycleDone(1);
    expect(cycle.to_run.map((r) => r.node)).toEqual(['a']);
    expect(rig.submits().get(A)).toBe(1);
  });

  it('on watch-cycle: every cycle still runs; each reports the exception once its run is over', async () => {
    const listener = throwingOn('watch-cycle');
    rig = await startWatchRig(recipe('assets/product-coffee.jpg'), { onEvent: listener.onEvent });
    await rig.cycleDone(1);
    expect(rig.of('run-summary')).toMatchObject([{ done: 1, failed: 0 }]);
    await until(() => (rig?.errors.length ?? 0) >= 1, 8_000, 'the listener error reported');

    await copyFile(join(ASSETS, 'pet-chelsea.jpg'), join(rig.project.root, 'assets', 'product-coffee.jpg'));
    const second = await rig.cycleDone(2);
    expect(second.to_run.map((r) => [r.node, r.reason])).toEqual([['a', 'input-changed']]);
    await until(() => (rig?.errors.length ?? 0) >= 2, 8_000, 'the second listener error reported');
    expect(rig.submits().get(A)).toBe(2);
    expectListenerErrors(rig.errors, listener.error, ['watch-cycle', 'watch-cycle']);
  });

  it('and an error sink (onCycleError) that throws too: the missing source is still watched', async () => {
    const listener = throwingOn('watch-error');
    rig = await startWatchRig(recipe('incoming/shot.jpg'), {
      onEvent: listener.onEvent,
      onCycleError: () => {
        throw new Error('the sink is closed too');
      },
    });
    await until(() => (rig?.errors.length ?? 0) >= 1, 8_000, 'the listener error reported');
    await mkdir(join(rig.project.root, 'incoming'));
    await copyFile(join(ASSETS, 'product-coffee.jpg'), join(rig.project.root, 'incoming', 'shot.jpg'));
    const cycle = await rig.cycleDone(1);
    expect(cycle.to_run.map((r) => r.node)).toEqual(['a']);
    expect(rig.submits().get(A)).toBe(1);
  });

  it("on the run context's own warning (a cache dir it cannot use): the cycle still runs", async () => {
    const listener = throwingOn('warning');
    rig = await startWatchRig(recipe('assets/product-coffee.jpg'), {
      onEvent: listener.onEvent,
      env: { KONTEXT_CACHE_DIR: '/proc/kontext-no-such-cache' },
    });
    await rig.cycleDone(1);
    expect(rig.of('run-summary')).toMatchObject([{ done: 1, failed: 0 }]);
    expect(rig.submits().get(A)).toBe(1);
    await until(() => (rig?.errors.length ?? 0) >= 1, 8_000, 'the listener error reported');
    expect(rig.errors.every((e) => e instanceof KontextError && e.code === 'E_EVENT_LISTENER')).toBe(true);
  });
});
