/** `kontext gc [--older-than D] [--max-size S] [--project DIR...] [--dry-run] [--json] [--cache-dir DIR]` */
import {
  escapeControls,
  formatBytes,
  gcCache,
  parseDuration,
  parseSize,
  UsageError,
  type GcCacheReport,
} from '../../index.js';
import type { CliContext } from '../context.js';
import { displayPath } from '../display-paths.js';
import { jsonText } from '../json-text.js';

export async function gcCommand(opts: Record<string, unknown>, ctx: CliContext): Promise<number> {
  const olderThanMs = parsed('--older-than', opts['olderThan'], parseDuration, 'a duration such as 30d, 12h or 90m');
  const maxBytes = parsed('--max-size', opts['maxSize'], parseSize, 'a size such as 500MB, 2GB or 1.5GiB');
  const projects = Array.isArray(opts['project']) ? opts['project'].map(String) : undefined;
  const cacheDir = typeof opts['cacheDir'] === 'string' ? opts['cacheDir'] : undefined;
  const report = await gcCache(
    { olderThanMs, maxBytes, projects, cacheDir, dryRun: opts['dryRun'] === true },
    { rt: ctx.rt },
  );
  // A lock that does not parse stops nothing: what its text names is kept (store/gc-roots.ts).
  for (const { message, hint } of report.unparsedLocks)
    ctx.rt.stderr.write(
      `warning: ${escapeControls(message)}; gc kept every entry its text names (${escapeControls(hint)})\n`,
    );
  if (opts['json'] === true) {
    ctx.rt.stdout.write(`${jsonText(toJson(report))}\n`);
    return 0;
  }
  for (const line of describe(report, ctx.rt.cwd)) ctx.rt.stdout.write(`${line}\n`);
  return 0;
}

function parsed(flag: string, value: unknown, parse: (s: string) => number | null, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = parse(String(value));
  if (n === null) throw new UsageError(`${flag}: expected ${what}, got ${JSON.stringify(String(value))}`);
  return n;
}

function describe(r: GcCacheReport, cwd: string): string[] {
  const { removed, after } = r;
  const what = `${plural(removed.records, 'record')} and ${plural(removed.blobs, 'blob')}`;
  const head = r.dryRun
    ? `gc --dry-run: would remove ${what}, freeing ${formatBytes(removed.bytes)} (nothing changed)`
    : `gc: removed ${what}, freed ${formatBytes(removed.bytes)}`;
  const kept = plural(r.protected.records + r.protected.blobs, 'entry', 'entries');
  const journal = plural(r.journalEntries, 'journal entry', 'journal entries');
  const uploads = r.pendingUploads > 0 ? [`${plural(r.pendingUploads, 'upload')} still due to a remote cache`] : [];
  const git = r.gitLockFiles.length;
  const locks = `${plural(r.lockFiles.length, 'lock file')}${git > 0 ? ` (+ ${git} of git branches and stashes)` : ''}`;
  const [last, ...rest] = [...uploads, journal, locks];
  const roots = `${rest.reverse().join(', ')} and ${last}`;
  const size = `${formatBytes(after.bytes)} in ${plural(after.records, 'record')} and ${plural(after.blobs, 'blob')}`;
  const lines = [head, `cache ${displayPath(r.cacheDir, cwd)}: ${size}; ${kept} kept for ${roots}`];
  if (r.staleTemps.files > 0) {
    const temps = `${plural(r.staleTemps.files, 'temp file')} of crashed writes (${formatBytes(r.staleTemps.bytes)})`;
    lines.push(r.dryRun ? `would remove ${temps}` : `removed ${temps}`);
  }
  if (r.staleMemos.files > 0) {
    const of = r.staleMemos.files === 1 ? 'a folder that no longer exists' : 'folders that no longer exist';
    const memos = `${plural(r.staleMemos.files, 'memo file')} of ${of} (${formatBytes(r.staleMemos.bytes)})`;
    lines.push(r.dryRun ? `would remove ${memos}` : `removed ${memos}`);
  }
  if (r.staleHosted.files > 0) {
    const { files, bytes } = r.staleHosted;
    const hosted = `${plural(files, 'hosting record')} no run will use (${formatBytes(bytes)})`;
    lines.push(r.dryRun ? `would remove ${hosted}` : `removed ${hosted}`);
  }
  if (r.oldMarkers > 0) {
    const markers = `${plural(r.oldMarkers, 'marker')} of outputs kontext wrote (used by the hand-edit check)`;
    lines.push(r.dryRun ? `would remove ${markers}` : `removed ${markers}`);
  }
  // Used within the report's window (store/gc.ts), or during the scan: a cache hit may be reading them.
  if (r.inUse > 0) {
    const window = plural(Math.round(r.inUseMs / 60_000), 'minute');
    lines.push(`${plural(r.inUse, 'entry', 'entries')} used in the last ${window}, kept (a run may be reading them)`);
  }
  // An mtime in the future says nothing of use (a cache copied from a machine whose clock ran ahead).
  if (r.futureDated > 0) {
    const n = plural(r.futureDated, 'entry', 'entries');
    lines.push(`${n} dated in the future (a clock ahead?): not taken as in use, and aged from now`);
  }
  if (r.overLimit)
    lines.push(
      'still over --max-size: what remains is needed by a lock file, the journal, an upload still due or a run',
    );
  return lines;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function toJson(r: GcCacheReport): Record<string, unknown> {
  return {
    cache_dir: r.cacheDir,
    dry_run: r.dryRun,
    projects: r.projects,
    lock_files: r.lockFiles,
    git_lock_files: r.gitLockFiles,
    journal_entries: r.journalEntries,
    pending_uploads: r.pendingUploads,
    before: r.before,
    removed: r.removed,
    after: r.after,
    protected: r.protected,
    in_use: r.inUse,
    future_dated: r.futureDated,
    over_limit: r.overLimit,
    stale_temps: r.staleTemps,
    stale_memos: r.staleMemos,
    stale_hosted: r.staleHosted,
    old_markers: r.oldMarkers,
    unparsed_locks: r.unparsedLocks,
  };
}
