/**
 * `kontext report <recipe> [--open] [--json] [--fetch-remote | --no-remote]`: write the review
 * sheet to `<out>/report/` and print where it is; `--open` hands it to the desktop's opener
 * (xdg-open, open, start) and, when there is none, says so and prints the path. Results only the
 * remote cache holds show as "in the remote cache"; `--fetch-remote` downloads them first.
 */
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { escapeControls, writeReport, type WrittenReport } from '../../index.js';
import type { CliContext } from '../context.js';
import { displayPath } from '../display-paths.js';
import { jsonText } from '../json-text.js';

export async function reportCommand(path: string, opts: Record<string, unknown>, ctx: CliContext): Promise<number> {
  const report = await writeReport(
    path,
    {
      cacheDir: typeof opts['cacheDir'] === 'string' ? opts['cacheDir'] : undefined,
      strict: opts['strict'] === true,
      allowOutsideRoot: opts['allowOutsideRoot'] === true,
      // commander's `--no-remote` sets `remote: false`.
      noRemote: opts['remote'] === false,
      fetchRemote: opts['fetchRemote'] === true,
    },
    {
      rt: ctx.rt,
      signal: ctx.signal,
      onWarning: (message) => ctx.rt.stderr.write(`warning: ${escapeControls(message)}\n`),
      onNotice: (message) => ctx.rt.stderr.write(`note: ${escapeControls(message)}\n`),
    },
  );
  const out = ctx.rt.stdout;
  if (opts['json'] === true) out.write(`${jsonText(toJson(report))}\n`);
  // The out folder is the recipe's to name: a control character in it must not drive the terminal.
  else out.write(`${escapeControls(summary(report, ctx.rt.cwd))}\n`);
  if (opts['open'] === true) {
    const opener = await openWith(report.index, ctx.rt.env);
    if (opener === null)
      ctx.rt.stderr.write(`no program to open it found (xdg-open, open, start): ${escapeControls(report.index)}\n`);
  }
  return 0;
}

function summary(r: WrittenReport, cwd: string): string {
  const c = r.data.counts;
  const parts = [`${c.nodes} node${c.nodes === 1 ? '' : 's'}`, `${c['up-to-date']} up to date`];
  if (c.cached > 0) parts.push(`${c.cached} cached`);
  if (r.fetched > 0) parts.push(`${r.fetched} downloaded from the remote cache`);
  if (c.remote > 0) parts.push(`${c.remote} in the remote cache (--fetch-remote downloads them)`);
  if (c['not-run'] > 0) parts.push(`${c['not-run']} not run yet`);
  if (c.modified > 0) parts.push(`${c.modified} modified`);
  if (c.drift > 0) parts.push(`${c.drift} with drift`);
  return `report: ${displayPath(r.index, cwd)} (${parts.join(', ')}; ${r.made} images made, ${r.reused} reused)`;
}

function toJson(r: WrittenReport): Record<string, unknown> {
  return {
    type: 'report',
    index: r.index,
    url: pathToFileURL(r.index).href,
    // snake_case as status --json says them (`up_to_date`, `not_run`); the page's own data keeps its tile states.
    counts: Object.fromEntries(Object.entries(r.data.counts).map(([k, v]) => [k.replaceAll('-', '_'), v])),
    cost_usd: r.data.costUsd,
    cost_unpriced: r.data.costUnpriced ?? 0,
    warnings: r.data.warnings,
    images: { made: r.made, reused: r.reused },
    fetched: r.fetched,
  };
}

const OPENERS: Readonly<Record<string, readonly (readonly [string, readonly string[]])[]>> = {
  darwin: [['open', []]],
  win32: [['cmd', ['/c', 'start', '""']]],
};

/** The platform's opener, detached; `null` when none could be started. */
async function openWith(file: string, env: Readonly<Record<string, string | undefined>>): Promise<string | null> {
  const candidates = OPENERS[process.platform] ?? [['xdg-open', []]];
  for (const [cmd, args] of candidates) {
    const started = await new Promise<boolean>((resolve) => {
      const child = spawn(cmd, [...args, file], { detached: true, stdio: 'ignore', env: { ...env } });
      child.once('error', () => resolve(false));
      child.once('spawn', () => {
        child.unref();
        resolve(true);
      });
    });
    if (started) return cmd;
  }
  return null;
}
