/**
 * `kontext run --watch <recipe...>`: one provider session and one watcher per recipe; runs
 * until Ctrl-C, then stops submitting, cancels queued requests, flushes the lock, exits 130.
 */
import { sep } from 'node:path';
import type { RunRecipeOptions } from '../../index.js';
import { SessionPool } from '../../providers/session-pool.js';
import { UsageError } from '../../errors.js';
import { WatchSession } from '../../run/watch-session.js';
import type { CliContext } from '../context.js';
import { isAlive } from '../pid.js';
import { reporterFor } from '../reporter-for.js';
import { renderError, secretsFromEnv } from '../render-error.js';
import { RecipeWatcher } from './recipe-watcher.js';

export async function watchCommand(recipes: readonly string[], options: RunRecipeOptions, opts: Record<string, unknown>, ctx: CliContext): Promise<number> {
  if (options.dryRun) throw new UsageError('--watch and --dry-run do not go together');
  const json = opts['json'] === true;
  const { reporter, onEvent } = reporterFor(ctx, { json, explain: true });
  const sessions = new SessionPool(ctx.rt, { deadlineMs: options.deadlineMs });
  const watchers: RecipeWatcher[] = [];
  const watchOptions = { ...options, signal: ctx.signal };
  const onError = (e: unknown): void => {
    for (const line of renderError(e, { debug: ctx.flags.debug, secrets: secretsFromEnv(ctx.rt.env) }).lines) ctx.rt.stderr.write(`${line}\n`);
  };
  try {
    for (const path of recipes) {
      const watchSession = new WatchSession(path, watchOptions, { rt: ctx.rt, onEvent, pid: process.pid, isAlive, sessions });
      const ignore = (p: string): boolean => isOwnOutput(p, watchSession);
      const watcher = new RecipeWatcher(watchSession, { ignore, onCycleError: onError });
      watchers.push(watcher);
      await watcher.start();
    }
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    return 130;
  } finally {
    await Promise.all(watchers.map((w) => w.close()));
    await sessions.closeAll();
    reporter.close();
  }
}

/** Outputs, the lock and the cache change as a result of runs: never a reason to re-run. */
function isOwnOutput(path: string, session: WatchSession): boolean {
  if (path.endsWith('.lock.json') || path.endsWith('.lck') || path.endsWith('.tmp')) return true;
  if (path.split(sep).includes('.kontext')) return true;
  const out = session.recipe?.outDir;
  return out !== undefined && (path === out || path.startsWith(out + sep));
}

