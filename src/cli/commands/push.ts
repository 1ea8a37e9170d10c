/**
 * `kontext push <recipe> [--dry-run] [--json]`: send the up-to-date results of a recipe to the
 * remote cache (src/run/push.ts). Exit 0 when the remote holds every result a run here would
 * take as up to date; 65 when some could not be sent (each named); 64, 75, 77 from the run side.
 */
import { ExitCode, type ProviderName, pushRecipe, type PushReport, type TextSink } from '../../index.js';
import type { CliContext } from '../context.js';
import { jsonText } from '../json-text.js';

export async function pushCommand(path: string, opts: Record<string, unknown>, ctx: CliContext): Promise<number> {
  const report = await pushRecipe(
    path,
    {
      cacheDir: typeof opts['cacheDir'] === 'string' ? opts['cacheDir'] : undefined,
      provider: opts['provider'] as ProviderName | undefined,
      allowOutsideRoot: opts['allowOutsideRoot'] === true,
      trustRecipe: opts['trustRecipeHosting'] === true,
      dryRun: opts['dryRun'] === true,
    },
    { rt: ctx.rt, signal: ctx.signal },
  );
  if (opts['json'] === true) ctx.rt.stdout.write(`${jsonText(pushJson(report))}\n`);
  else printPush(report, ctx.rt.stdout);
  return report.unfit.length > 0 ? ExitCode.DATA_ERR : ExitCode.OK;
}

function pushJson(r: PushReport): Record<string, unknown> {
  return {
    type: 'push',
    recipe: r.recipe,
    remote: r.remote,
    dry_run: r.dryRun,
    pushed: r.pushed,
    present: r.present,
    unfit: r.unfit,
    not_local: r.notLocal,
  };
}

function printPush(r: PushReport, out: TextSink): void {
  for (const { node, why } of r.unfit) out.write(`not pushed ${node}: ${why}\n`);
  const there = r.present.length === 0 ? '' : ` (${results(r.present.length)} already there)`;
  out.write(
    r.dryRun
      ? `push --dry-run: would send ${results(r.pushed.length)} to ${r.remote}${there}; nothing sent\n`
      : `push: sent ${results(r.pushed.length)} to ${r.remote}${there}\n`,
  );
  if (r.notLocal.length > 0)
    out.write(
      `${r.notLocal.length} node${r.notLocal.length === 1 ? '' : 's'} not up to date here, so not pushed ` +
        '(`kontext status` says why)\n',
    );
}

function results(n: number): string {
  return `${n} result${n === 1 ? '' : 's'}`;
}
