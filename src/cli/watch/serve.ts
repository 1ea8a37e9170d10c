/**
 * `kontext run --watch --serve [--port N]`: the live review sheet of each watched recipe, from
 * `startReportServer` (src/report/serve/), fed with the recipe's run events. Prints its URL as
 * soon as it listens: the run does not wait for the page's first build.
 */
import { clearPick, startReportServer, writePick, type RunEvent, type RunRecipeOptions } from '../../index.js';
import type { CliContext } from '../context.js';
import { intOption } from '../options.js';

export interface Served {
  /** The reporter's event sink, with the server fed too. */
  tee(onEvent: (e: RunEvent) => void): (e: RunEvent) => void;
  /** The page's first build is over; rejects when it failed for a reason other than the recipe (the command fails). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

export async function serveFor(
  path: string,
  options: RunRecipeOptions,
  opts: Record<string, unknown>,
  ctx: CliContext,
): Promise<Served> {
  const port = intOption('--port', opts['port'], 0, 65535);
  const server = await startReportServer(
    path,
    {
      port,
      cacheDir: options.cacheDir,
      allowOutsideRoot: options.allowOutsideRoot,
      noRemote: options.noRemote,
      // The page's pick button: the recipe changes on disk, and the watcher re-plans from it.
      // Only if it still has the bytes the page was built from: a stale page's pick is refused.
      pick: (recipe, node, expectSha256, clear) =>
        (clear ? clearPick : writePick)(recipe, node, { rt: ctx.rt, expectSha256 }),
    },
    { rt: ctx.rt },
  );
  ctx.rt.stderr.write(`review sheet for ${path}: ${server.url}\n`);
  return {
    tee: (onEvent) => (e) => {
      onEvent(e);
      server.onEvent(e);
    },
    ready: server.ready,
    close: () => server.close(),
  };
}
