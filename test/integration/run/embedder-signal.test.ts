/**
 * An embedder stops a run with its own AbortSignal (`controller.abort()`, `AbortSignal.timeout`),
 * whose reason is a DOMException, not the CLI's InterruptedError. Wherever the run is when it
 * happens (before it starts, waiting for another run's lock), `runRecipe` rejects with a typed
 * InterruptedError (exit 130, as Ctrl-C), the caller's reason as its cause.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InterruptedError, holdRunLock, runRecipe, type RunEvent } from '../../../src/index.js';
import { createProject, recipeYaml, runIn, testRuntime, type Project } from '../../helpers/run-fixtures.js';

let project: Project;
beforeEach(async () => {
  project = await createProject(recipeYaml([['sky', 'Make the sky pink']]));
});
afterEach(async () => {
  await project.cleanup();
});

function expectInterrupted(e: unknown, cause: unknown): void {
  expect(e).toBeInstanceOf(InterruptedError);
  const err = e as InterruptedError;
  expect(err.code).toBe('E_INTERRUPTED');
  expect(err.exitCode).toBe(130);
  expect(err.cause).toBe(cause);
}

describe("an embedder's AbortSignal", () => {
  it('aborted before the run starts: an InterruptedError, nothing written', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await runIn(project, { signal: controller.signal }).catch((e: unknown) => e);
    expectInterrupted(error, controller.signal.reason);
    expect((error as Error).message).toContain('This operation was aborted');
    await expect(project.readLock()).rejects.toThrow();
  });

  it('aborted while waiting for another run of the recipe: an InterruptedError', async () => {
    // Another run (this process, alive) holds the recipe's run lock for the whole test.
    const release = await holdRunLock(project.lockPath, { pid: process.pid, isAlive: () => true });
    try {
      const controller = new AbortController();
      const events: RunEvent[] = [];
      // The run waits for the lock (a warning says so) and is stopped there, as `AbortSignal.timeout` would stop it.
      const onEvent = (e: RunEvent): void => {
        events.push(e);
        if (e.type === 'warning' && e.message.startsWith('waiting for another kontext run'))
          controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
      };
      const rt = testRuntime(project.root);
      const error = await runRecipe(project.recipe, { jobs: 1, signal: controller.signal }, { rt, onEvent }).catch(
        (e: unknown) => e,
      );
      expect(events.map((e) => e.type)).toEqual(['warning']);
      // The run it waits for is this process's own: said so, not as "pid <its own pid>".
      expect(events[0]).toMatchObject({
        message: `waiting for another kontext run in this process on ${project.recipe}`,
      });
      expectInterrupted(error, controller.signal.reason);
      expect((error as Error).message).toContain('aborted due to timeout');
    } finally {
      await release();
    }
  });

  it("shared by twelve runs at once (a server's shutdown signal): no MaxListenersExceededWarning", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(`${w.name}: ${w.message}`);
    };
    process.on('warning', onWarning);
    try {
      const controller = new AbortController();
      const rt = testRuntime(project.root);
      const runs = Array.from({ length: 12 }, () =>
        runRecipe(project.recipe, { jobs: 1, dryRun: true, signal: controller.signal }, { rt, onEvent: () => {} }),
      );
      expect((await Promise.all(runs)).map((r) => r.kind)).toEqual(Array(12).fill('dry-run'));
      await new Promise((resolve) => setImmediate(resolve)); // process warnings are emitted on a later tick
      expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
