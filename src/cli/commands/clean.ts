/**
 * `kontext clean <recipe> [--dry-run] [--json] [--no-remote] [--cache-dir <dir>]`: remove outputs
 * and lock entries of nodes no longer in the recipe (but for those a renamed node takes over, which
 * it names). A dry run also lists the files under the out folder it keeps because kontext did not
 * make them.
 */
import { relative } from 'node:path';
import { cleanRecipe, type CleanReport, escapeControls } from '../../index.js';
import type { CliContext } from '../context.js';
import { displayPath } from '../display-paths.js';
import { jsonText } from '../json-text.js';

export async function cleanCommand(path: string, opts: Record<string, unknown>, ctx: CliContext): Promise<number> {
  const report = await cleanRecipe(
    path,
    {
      dryRun: opts['dryRun'] === true,
      allowOutsideRoot: opts['allowOutsideRoot'] === true,
      // commander's `--no-remote` sets `remote: false`.
      noRemote: opts['remote'] === false,
      cacheDir: typeof opts['cacheDir'] === 'string' ? opts['cacheDir'] : undefined,
    },
    {
      rt: ctx.rt,
      // A remote's error text is a server's: escaped, as run's and report's are.
      onWarning: (message) => ctx.rt.stderr.write(`warning: ${escapeControls(message)}\n`),
      onNotice: (message) => ctx.rt.stderr.write(`note: ${escapeControls(message)}\n`),
    },
  );
  const out = ctx.rt.stdout;
  if (opts['json'] === true) {
    out.write(`${jsonText(toJson(report))}\n`);
    return 0;
  }
  const verb = report.dryRun ? 'would remove' : 'removed';
  const lockName = displayPath(report.lockPath, ctx.rt.cwd);
  for (const id of report.lockEntries) out.write(`${verb} lock entry ${id} (${lockName})\n`);
  for (const t of report.taken)
    out.write(`kept lock entry ${t.node} and its output: ${t.by} takes its seed (run it, then clean again)\n`);
  for (const f of report.files) out.write(`${verb} ${displayPath(f, ctx.rt.cwd)}\n`);
  for (const d of report.dirs) out.write(`${verb} empty folder ${displayPath(d, ctx.rt.cwd)}/\n`);
  if (report.dryRun) for (const f of report.kept) out.write(`kept ${displayPath(f, ctx.rt.cwd)} (not kontext's)\n`);
  out.write(`${summary(report)}\n`);
  return 0;
}

function summary(r: CleanReport): string {
  const parts = [
    count(r.lockEntries.length, 'lock entry', 'lock entries'),
    count(r.files.length, 'file', 'files'),
    count(r.dirs.length, 'folder', 'folders'),
  ];
  const taken =
    r.taken.length === 0 ? '' : `; kept ${count(r.taken.length, 'lock entry', 'lock entries')} a renamed node takes`;
  const kept =
    taken + (r.kept.length === 0 ? '' : `; kept ${count(r.kept.length, 'file', 'files')} kontext did not make`);
  if (r.lockEntries.length + r.files.length + r.dirs.length === 0) return `clean: nothing to remove${kept}`;
  return r.dryRun
    ? `clean --dry-run: would remove ${parts.join(', ')}${kept} (nothing changed)`
    : `clean: removed ${parts.join(', ')}${kept}`;
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function toJson(r: CleanReport): Record<string, unknown> {
  const rel = (p: string): string => relative(r.recipe.dir, p).split('\\').join('/');
  return {
    recipe: r.recipe.file,
    lock: r.lockPath,
    out_dir: r.recipe.outDir,
    dry_run: r.dryRun,
    lock_entries: r.lockEntries,
    taken: r.taken,
    files: r.files.map(rel),
    dirs: r.dirs.map(rel),
    kept: r.kept.map(rel),
  };
}
