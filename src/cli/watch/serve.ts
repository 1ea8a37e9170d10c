/**
 * `kontext run --watch --serve [--port N]`: the live review sheet of each watched recipe, from
 * `startReportServer` (src/report/serve/), fed with the recipe's run events. Prints its URL as
 * soon as it listens: the run does not wait for the page's first build. The page never stops or
 * stalls the run: a build that fails is said on the page and once as a warning (the run's exit
 * code is its nodes'), and Ctrl-C abandons a build under way (its wait for another report too).
 */
import { clearPick, startReportServer, writePick, type RunEvent, type RunRecipeOptions } from '../../index.js';
import type { CliContext } from '../context.js';
import { intOption } from '../options.js';

export interface Served {
  /** The reporter's event sink, with the server fed too. */
  readonly onEvent: (e: RunEvent) => void;
  /** Rebuild the page now (an output edited by hand: shown modified, no cycle started). */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

/** `onEvent`: the reporter's event sink (the page's own warning goes there too). */
export async function serveFor(
  path: string,
  options: RunRecipeOptions,
  opts: Record<string, unknown>,
  ctx: CliContext,
  onEvent: (e: RunEvent) => void,
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
      onWarning: (message) => onEvent({ type: 'warning', t: 0, message }),
      signal: ctx.signal,
    },
    { rt: ctx.rt },
  );
  ctx.rt.stderr.write(`review sheet for ${path}: ${server.url}\n`);
  return {
    onEvent: (e) => {
      onEvent(e);
      server.onEvent(e);
    },
    refresh: () => server.refresh(),
    close: () => server.close(),
  };
}
