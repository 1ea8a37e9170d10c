/**
 * `kontext status <recipe> [--exit-code] [--json] [--no-remote]`: grouped like `git status`, paths
 * relative to the cwd. `--exit-code`: 1 when a run would do anything (pay, download from the
 * remote cache, restore from the local one, re-attach, stop at an output changed by hand, move an
 * older kontext's output to the current layout), as `git diff --exit-code` does for any
 * difference; `billable` in `--json` says what it would pay.
 */
import {
  escapeControls,
  percentOver,
  recipeStatus,
  type NodeStatus,
  type ProviderName,
  type RecipeStatus,
  type TextSink,
} from '../../index.js';
import type { CliContext } from '../context.js';
import { REASON_WORDS } from '../dry-run-view.js';
import { displayPath } from '../display-paths.js';
import { jsonText } from '../json-text.js';

export async function statusCommand(path: string, opts: Record<string, unknown>, ctx: CliContext): Promise<number> {
  const status = await recipeStatus(
    path,
    {
      provider: opts['provider'] as ProviderName | undefined,
      cacheDir: typeof opts['cacheDir'] === 'string' ? opts['cacheDir'] : undefined,
      strict: opts['strict'] === true,
      allowOutsideRoot: opts['allowOutsideRoot'] === true,
      // commander's `--no-remote` sets `remote: false`.
      noRemote: opts['remote'] === false,
    },
    {
      rt: ctx.rt,
      // A remote's error text is a server's: escaped, as run's and report's are.
      onWarning: (message) => ctx.rt.stderr.write(`warning: ${escapeControls(message)}\n`),
      onNotice: (message) => ctx.rt.stderr.write(`note: ${escapeControls(message)}\n`),
    },
  );
  if (opts['json'] === true) ctx.rt.stdout.write(`${jsonText(statusJson(status))}\n`);
  else printStatus(status, ctx.rt.stdout, ctx.rt.cwd, path);
  return opts['exitCode'] === true && status.dirty ? 1 : 0;
}

function statusJson(s: RecipeStatus): Record<string, unknown> {
  const count = (state: NodeStatus['state']): number => s.nodes.filter((n) => n.state === state).length;
  return {
    type: 'status',
    recipe: s.recipe,
    lock: s.lock,
    clean: !s.dirty,
    billable: s.billable,
    counts: {
      up_to_date: count('up-to-date'),
      will_run: count('will-run'),
      modified: count('modified'),
      missing: count('missing'),
      remote: count('remote'),
      orphaned: s.orphaned.length,
      picked_out: s.pickedOut.length,
      to_move: s.toMove.length,
      drift: s.nodes.filter((n) => n.drift !== null).length,
    },
    lock_conflict: s.lockConflict,
    nodes: s.nodes,
    orphaned: s.orphaned,
    picked_out: s.pickedOut,
    to_move: s.toMove,
    kept: s.kept,
    stray_locks: s.strayLocks,
  };
}

function printStatus(s: RecipeStatus, out: TextSink, cwd: string, recipeArg: string): void {
  const rel = (p: string | null): string => (p === null ? '' : displayPath(p, cwd));
  const group = (title: string, hint: string, lines: readonly string[]): void => {
    if (lines.length === 0) return;
    out.write(`${title} (${lines.length}):\n  (${hint})\n`);
    for (const line of lines) out.write(`\t${line}\n`);
    out.write('\n');
  };
  const of = (state: NodeStatus['state']): NodeStatus[] => s.nodes.filter((n) => n.state === state);
  // A branch a pick leaves out whose file differs from the lock is said beside the recipe's nodes.
  const withPickedOut = (state: NodeStatus['state']): NodeStatus[] => [
    ...of(state),
    ...s.pickedOut.filter((n) => n.state === state),
  ];
  let width = 4;
  for (const n of s.nodes) width = Math.min(48, Math.max(width, n.node.length));
  out.write(`Recipe ${rel(s.recipe)}, lock ${rel(s.lock)}\n\n`);
  if (s.lockConflict !== null) {
    out.write(
      `Lock with git conflicts:\n  (use "kontext run ${recipeArg}" to resolve them; ` +
        "the states below are the merged lock's)\n",
    );
    out.write(`\t${s.lockConflict.message}\n\n`);
  }
  group(
    'Will run',
    `use "kontext run ${recipeArg}" to run them; "kontext run --dry-run" for seeds and cost`,
    of('will-run').map((n) => `${n.node.padEnd(width)}  ${willRunWords(n)}`),
  );
  group(
    'Modified by hand',
    "not the lock's output, or a file kontext never wrote: a run refuses to overwrite it without --overwrite",
    withPickedOut('modified')
      .filter((n) => n.lfs_pointer !== true)
      .map(
        (n) =>
          `${n.node.padEnd(width)}  ${rel(n.output)}` +
          (n.picked_out === true ? '  (picked out: a run keeps it and warns; --overwrite replaces it)' : ''),
      ),
  );
  group(
    'Git LFS pointers',
    'not the images: run "git lfs pull"; a run refuses these nodes, and never pays again for an image ' +
      'the lock names (--overwrite replaces only a pointer to other bytes)',
    of('modified')
      .filter((n) => n.lfs_pointer === true)
      .map((n) => `${n.node.padEnd(width)}  ${rel(n.output)}`),
  );
  group(
    'Output missing or out of date',
    'a run restores them from the cache, without a request, unless it stops above them',
    withPickedOut('missing').map((n) => `${n.node.padEnd(width)}  ${rel(n.output)}${restoreWords(n)}`),
  );
  group(
    'To move to the current layout',
    'written by an older kontext at <out>/<node-id>.<ext>: a run moves them to their current names and ' +
      'rewrites their lock entries, without a request; a change to commit',
    s.toMove.map((m) => `${m.node.padEnd(width)}  ${rel(m.from)} → ${rel(m.to)}`),
  );
  group(
    'In the remote cache',
    'a run downloads them from the remote cache, without a request',
    of('remote').map((n) => `${n.node.padEnd(width)}  ${rel(n.output)}${restoreWords(n)}`),
  );
  group(
    'Orphaned',
    'no longer in the recipe: lock entries and output files of removed nodes; "kontext clean" removes them',
    s.orphaned.map((o) => {
      const where = o.output === null ? '' : `  ${rel(o.output)}${o.exists ? '' : ' (file gone)'}`;
      return `${o.node ?? '(file)'}${where}${o.inLock ? '  [lock entry]' : ''}`;
    }),
  );
  group(
    'Not made by kontext',
    '"kontext clean" keeps them: files under the out folder it cannot show it made',
    s.kept.map((p) => rel(p)),
  );
  group(
    'Stray lock files',
    'their recipe is gone (renamed or moved?): new nodes may take seeds from them; delete them once this lock is ' +
      'committed',
    s.strayLocks.map((p) => rel(p)),
  );
  group(
    'Over max_change',
    'changed more of the image than the pass allows; pixel-level, see README "Drift"',
    s.nodes.flatMap((n) =>
      n.drift === null
        ? []
        : [
            `${n.node.padEnd(width)}  changed ${percentOver(n.drift.changed_pct, n.drift.max_change)}, ` +
              `max_change ${n.drift.max_change}%`,
          ],
    ),
  );
  const upToDate = of('up-to-date').length;
  if (!s.dirty) out.write(`nothing to run: all ${upToDate} node${upToDate === 1 ? '' : 's'} up to date\n`);
  else {
    const pays =
      s.billable === 0
        ? 'a run pays for nothing'
        : `a run pays for ${s.billable} request${s.billable === 1 ? '' : 's'}`;
    const picked = s.pickedOut.length;
    const differ =
      picked === 0 ? '' : `; ${picked} file${picked === 1 ? '' : 's'} of branches a pick leaves out not the lock's`;
    const moves = s.toMove.length;
    const moved = moves === 0 ? '' : `; ${moves} output${moves === 1 ? '' : 's'} to move to the current layout`;
    const nodes = `${s.nodes.length} node${s.nodes.length === 1 ? '' : 's'}`;
    out.write(`${upToDate} of ${nodes} up to date; ${pays}${differ}${moved}\n`);
  }
}

/** A missing or remote output: restorable, or not until the node above it that the run stops at is fixed. */
function restoreWords(n: NodeStatus): string {
  if (n.picked_out === true)
    return n.restorable
      ? '  (picked out; restorable from cache)'
      : "  (picked out; the lock's output is in no cache: a run leaves it)";
  if (n.stopped_by !== undefined) return `  (not until ${n.stopped_by} is fixed)`;
  return n.restorable ? '  (restorable from cache)' : '';
}

/** Why a node will run, and the node above it the next run stops at, if any (NodeStatus.stopped_by). */
function willRunWords(n: NodeStatus): string {
  const words = claimWords(n);
  return n.stopped_by === undefined ? words : `${words}; not until ${n.stopped_by} is fixed`;
}

/** Why a node will run; for a journaled request, what the run's claim does with it (NodeStatus.claim). */
function claimWords(n: NodeStatus): string {
  switch (n.claim) {
    case 'uncertain':
      return 'stopped: an earlier run may have submitted it; the run exits 75 unless --resubmit-uncertain';
    case 'wait':
      return 'another live run is submitting it: waited for, not paid again';
    case 'take-over':
      return n.submit_refused === true
        ? "the API refused an earlier run's submit of it (nothing was paid); submitted again"
        : 'an earlier run may have submitted it; submitted again';
    default:
      return REASON_WORDS[n.reason ?? ''] ?? n.reason ?? '';
  }
}
