/**
 * `kontext run --watch <recipe...>`: one provider session pool and one watcher per recipe;
 * runs until Ctrl-C, then stops watching, stops submitting, cancels queued requests, leaves
 * running ones journaled, flushes the lock, and exits 130 (the guarantees of a plain run).
 */
import { resolve as resolvePath } from 'node:path';
import {
  ExitCode,
  holdRunLock,
  isKontextError,
  lockPathOfRecipeFile,
  problemLines,
  RecipeWatcher,
  SessionPool,
  UsageError,
  WatchSession,
  waitingMessage,
  type RunLockElsewhere,
  type RunRecipeOptions,
} from '../../index.js';
import type { CliContext } from '../context.js';
import { reporterFor } from '../reporter-for.js';
import { renderError, secretsFromEnv } from '../render-error.js';
import { serveFor, type Served } from './serve.js';

export async function watchCommand(
  recipes: readonly string[],
  options: RunRecipeOptions,
  opts: Record<string, unknown>,
  ctx: CliContext,
): Promise<number> {
  if (options.dryRun) throw new UsageError('--watch and --dry-run do not go together');
  const json = opts['json'] === true;
  const { reporter, onEvent } = reporterFor(ctx, { json, explain: opts['explain'] === true });
  const sessions = new SessionPool(ctx.rt, { deadlineMs: options.deadlineMs });
  const pairs: { readonly session: WatchSession; readonly watcher: RecipeWatcher }[] = [];
  const onError = (e: unknown): void => {
    for (const line of renderError(e, {
      debug: ctx.flags.debug,
      secrets: secretsFromEnv(ctx.rt.env),
      cwd: ctx.rt.cwd,
    }).lines)
      ctx.rt.stderr.write(`${line}\n`);
  };
  const runLocks: (() => Promise<void>)[] = [];
  const served: Served[] = [];
  try {
    for (const path of recipes) {
      // A watch session holds its recipe's run lock until it ends: a plain run waits for it.
      const lockPath = lockPathOfRecipeFile(path, ctx.rt.cwd);
      const onWait = (pid: number | undefined, elsewhere?: RunLockElsewhere): void =>
        onEvent({ type: 'warning', t: 0, message: waitingMessage(pid, path, undefined, elsewhere) });
      runLocks.push(
        await holdRunLock(lockPath, {
          pid: ctx.rt.pid,
          isAlive: (pid) => ctx.rt.isAlive(pid),
          signal: ctx.signal,
          onWait,
        }),
      );
      const serve = opts['serve'] === true ? await serveFor(path, options, opts, ctx, onEvent) : null;
      if (serve) served.push(serve);
      const events = serve ? serve.onEvent : onEvent;
      const session = new WatchSession(
        path,
        { ...options, signal: ctx.signal },
        { rt: ctx.rt, onEvent: events, sessions },
      );
      // An output edited by hand starts no cycle: the page is rebuilt to show it modified.
      const onOutputEdited = serve ? (): void => void serve.refresh() : undefined;
      // A cycle whose run threw (a lock it cannot write): a `watch-error` as any stopped cycle, so
      // --json and the served page say it too; anything else (a defect) printed whole.
      const onCycleError = (e: unknown): void => {
        if (!isKontextError(e) || e.exitCode === ExitCode.SOFTWARE) return onError(e);
        events({
          type: 'watch-error',
          t: 0,
          recipe: resolvePath(ctx.rt.cwd, path),
          kind: 'stopped',
          problems: problemLines(e),
        });
      };
      const watcher = new RecipeWatcher(session, { onCycleError, onOutputEdited });
      pairs.push({ session, watcher });
      await watcher.start();
    }
    // Until Ctrl-C: a page whose build fails says why and is built again, the watch going on
    // (ending it here cancelled the runs' queued requests, which fal and Replicate may bill).
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    return ExitCode.INTERRUPTED;
  } finally {
    // Watchers first (no new cycle starts), then the runs wind down on the aborted signal
    // (queued requests cancelled, the rest journaled, locks flushed), then the provider.
    await Promise.all(pairs.map((p) => p.watcher.close()));
    await Promise.all(pairs.map((p) => p.session.close()));
    await sessions.closeAll();
    for (const s of served) await s.close();
    for (const release of runLocks) await release();
    reporter.close();
  }
}
