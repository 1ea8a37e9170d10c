/**
 * An embedder's `onEvent` that throws (a bug of its own, a closed connection it writes to) does
 * not change the run: every node still finishes, its result in the lock and out/, no request left
 * in the journal; then `runRecipe` (and `runEdit`) reject with one E_EVENT_LISTENER (exit 70) whose
 * cause is the listener's error. Thrown into the scheduler, it had failed the node after its
 * request was paid, left that request's outcome unknown and skipped the nodes below; an async
 * listener's rejection was unhandled and ended the process mid-run, its locks left behind. A watch
 * session's own events (watch-cycle, watch-error) threw into the cycle's planning: no run started.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KontextError, runRecipe, type RunEvent } from '../../../src/index.js';
import { runEdit } from '../../../src/run/edit.js';
import { WatchSession } from '../../../src/watch/watch-session.js';
import { journalEntries } from '../../helpers/journal-files.js';
import { createProject, lockMatchesFiles, recipeYaml, testRuntime, type Project } from '../../helpers/run-fixtures.js';

let project: Project;
beforeEach(async () => {
  project = await createProject(
    recipeYaml([
      ['sky', 'Make the sky pink'],
      ['hat', 'Add a red hat'],
    ]),
  );
});
afterEach(async () => {
  await project.cleanup();
});

/** A listener that records every event and throws on the first `downloading` state (a request paid for). */
function brokenListener(): { events: RunEvent[]; error: Error; onEvent: (e: RunEvent) => void } {
  const events: RunEvent[] = [];
  const error = new Error('socket closed');
  let thrown = false;
  const onEvent = (e: RunEvent): void => {
    events.push(e);
    if (!thrown && e.type === 'node-state' && e.phase === 'downloading') {
      thrown = true;
      throw error;
    }
  };
  return { events, error, onEvent };
}

function expectListenerError(e: unknown, cause: Error): void {
  expect(e).toBeInstanceOf(KontextError);
  const err = e as KontextError;
  expect(err.code).toBe('E_EVENT_LISTENER');
  expect(err.exitCode).toBe(70);
  expect(err.cause).toBe(cause);
  expect(err.message).toBe('the onEvent listener threw on a node-state event: socket closed');
}

describe('an onEvent listener that throws', () => {
  it('runRecipe: the run goes on to its end, then rejects with E_EVENT_LISTENER', async () => {
    const listener = brokenListener();
    const rt = testRuntime(project.root);
    const error = await runRecipe(project.recipe, { jobs: 2 }, { rt, onEvent: listener.onEvent }).catch(
      (e: unknown) => e,
    );
    expectListenerError(error, listener.error);
    // Later events were still delivered, and both nodes finished.
    expect(listener.events.filter((e) => e.type === 'node-done').map((e) => e.node)).toEqual(['sky', 'hat']);
    expect(listener.events.at(-1)).toMatchObject({ type: 'run-summary', done: 2, failed: 0, exit_code: 0 });
    expect((await lockMatchesFiles(project)).sort((a, b) => a.node.localeCompare(b.node))).toEqual([
      { node: 'hat', ok: true },
      { node: 'sky', ok: true },
    ]);
    expect(await journalEntries(project.cacheDir)).toEqual([]);
  });

  it('an async listener that rejects: the same, and no unhandled rejection ends the process', async () => {
    const events: RunEvent[] = [];
    const error = new Error('db down');
    const onEvent = async (e: RunEvent): Promise<void> => {
      events.push(e);
      if (e.type === 'node-done' && e.node === 'sky') throw error;
    };
    const rt = testRuntime(project.root);
    const thrown = await runRecipe(project.recipe, { jobs: 2 }, { rt, onEvent }).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(KontextError);
    expect((thrown as KontextError).code).toBe('E_EVENT_LISTENER');
    expect((thrown as KontextError).cause).toBe(error);
    expect((thrown as Error).message).toBe('the onEvent listener threw on a node-done event: db down');
    expect(events.at(-1)).toMatchObject({ type: 'run-summary', done: 2, failed: 0, exit_code: 0 });
    expect(Object.keys((await project.readLock()).nodes).sort()).toEqual(['hat', 'sky']);
  });

  it('a WatchSession cycle: its run goes on to its end, then the cycle rejects with E_EVENT_LISTENER', async () => {
    const listener = brokenListener();
    const session = new WatchSession(
      project.recipe,
      { jobs: 2 },
      { rt: testRuntime(project.root), onEvent: listener.onEvent },
    );
    try {
      const cycle = await session.cycle([]);
      if (cycle.kind !== 'started') throw new Error(`no run started: ${JSON.stringify(cycle)}`);
      expectListenerError(await cycle.done.catch((e: unknown) => e), listener.error);
      expect(listener.events.filter((e) => e.type === 'node-done').map((e) => e.node)).toEqual(['sky', 'hat']);
      expect(listener.events.at(-1)).toMatchObject({ type: 'run-summary', done: 2, failed: 0, exit_code: 0 });
      expect(await journalEntries(project.cacheDir)).toEqual([]);
    } finally {
      await session.close();
    }
  });

  it("a WatchSession's own events (watch-cycle, watch-error): the cycle goes on, E_EVENT_LISTENER after", async () => {
    const events: RunEvent[] = [];
    const error = new Error('socket closed');
    const onEvent = (e: RunEvent): void => {
      events.push(e);
      if (e.type === 'watch-cycle' || e.type === 'watch-error') throw error;
    };
    const session = new WatchSession(project.recipe, { jobs: 2 }, { rt: testRuntime(project.root), onEvent });
    try {
      // Planned and started as if the listener had not thrown; `done` rejects once its run is over.
      const cycle = await session.cycle([]);
      if (cycle.kind !== 'started') throw new Error(`no run started: ${JSON.stringify(cycle)}`);
      const thrown = await cycle.done.catch((e: unknown) => e);
      expect(thrown).toBeInstanceOf(KontextError);
      expect((thrown as KontextError).code).toBe('E_EVENT_LISTENER');
      expect((thrown as KontextError).cause).toBe(error);
      expect((thrown as Error).message).toBe('the onEvent listener threw on a watch-cycle event: socket closed');
      expect(events.filter((e) => e.type === 'node-done').map((e) => e.node)).toEqual(['sky', 'hat']);
      expect(events.at(-1)).toMatchObject({ type: 'run-summary', done: 2, failed: 0, exit_code: 0 });

      // An invalid recipe: the cycle's result as ever, the listener's exception in it.
      await project.writeRecipe('version: 1\nsources: {}\npasses: []\n');
      const invalid = await session.cycle([project.recipe]);
      expect(invalid).toMatchObject({
        kind: 'invalid',
        problems: [expect.stringMatching(/no sources/), expect.any(String)],
      });
      expect(invalid.kind === 'invalid' && invalid.listenerError).toMatchObject({
        code: 'E_EVENT_LISTENER',
        exitCode: 70,
        cause: error,
        message: 'the onEvent listener threw on a watch-error event: socket closed',
      });
      expect(events.at(-1)?.type).toBe('watch-error');
    } finally {
      await session.close();
    }
  });

  it('runEdit: the edit writes its output, then rejects with E_EVENT_LISTENER', async () => {
    const listener = brokenListener();
    const error = await runEdit(
      {
        image: 'assets/pet-chelsea.jpg',
        prompt: 'Keep the cat unchanged. Add a small red bow tie.',
        seed: 7,
        output: 'edited/cat.png',
        provider: 'emulator',
      },
      { rt: testRuntime(project.root), onEvent: listener.onEvent },
    ).catch((e: unknown) => e);
    expectListenerError(error, listener.error);
    expect(listener.events.filter((e) => e.type === 'node-done')).toHaveLength(1);
    expect(await readdir(join(project.root, 'edited'))).toEqual(['cat.png']);
  });
});
