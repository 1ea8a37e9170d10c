/**
 * `kontext clean`: remove what a recipe no longer produces and kontext provably made. Orphans
 * are the lock entries whose node id is not in the current plan, but for those a current node takes
 * over (a renamed pass or photo: clean-taken.ts), kept with their output files until the run has
 * given that node its own entry. Files go from `<out>/` only as
 * `clean-scan.ts` allows (a dropped entry's output or kontext's own layout where no current node
 * writes, with bytes a lock or the cache knows; a crash's day-old temp of one). Everything else
 * there is reported as kept. Nothing outside `<out>/` is removed (a `save:` copy elsewhere
 * stays), symlinks are neither followed nor removed, and the lock is rewritten atomically under
 * its `.lck` mutex, as a run does (`removeLockEntries`). Folders under `<out>/` emptied by the
 * removal go too.
 */
import { rmdir, unlink } from 'node:fs/promises';
import { buildPlan, withoutPicks } from '../plan/index.js';
import { loadRecipe } from '../recipe/index.js';
import type { Recipe } from '../recipe/types.js';
import type { Runtime } from '../runtime.js';
import { removeLockEntries } from '../store/index.js';
import { cacheDirFor } from './context.js';
import { outputsClaimedElsewhere, outScope, scanOutDir } from './clean-scan.js';
import { dropsAny, takenEntries } from './clean-taken.js';
import { throughRemote } from './status.js';
import { conflictRefusal, resolvedLock } from './lock-resolve.js';
import { openStoreOrStandIn } from './open-cache.js';
import type { Store } from '../store/types.js';
import { lockPathFor } from './run-recipe.js';
import { writeGuardFor } from './write-guard-for.js';
import { guardMessages } from './event-listener.js';

export interface CleanOptions {
  readonly dryRun?: boolean | undefined;
  readonly allowOutsideRoot?: boolean | undefined;
  /** `--no-remote`: which entries a renamed node takes is resolved from the local cache only. */
  readonly noRemote?: boolean | undefined;
  /**
   * `--cache-dir`: the cache the runs use (default: KONTEXT_CACHE_DIR, else the user's). Which
   * entries a renamed node takes is resolved through it: a run's results in another cache, not
   * seen, would make clean drop an entry the next run takes, and that run pay again.
   */
  readonly cacheDir?: string | undefined;
}

export interface CleanDeps {
  readonly rt: Runtime;
  /** A remote cache down or refusing: said once; clean resolves from local knowledge. */
  readonly onWarning?: ((message: string) => void) | undefined;
  readonly onNotice?: ((message: string) => void) | undefined;
}

export interface CleanReport {
  readonly recipe: Recipe;
  readonly lockPath: string;
  readonly dryRun: boolean;
  /** Node ids dropped from the lock, sorted. */
  readonly lockEntries: readonly string[];
  /**
   * Entries of nodes no longer in the recipe that a current node takes over (`by`: a renamed pass
   * or photo takes their seed, so the rename costs nothing): kept, with their output files, by id.
   */
  readonly taken: readonly { readonly node: string; readonly by: string }[];
  /** Files removed (absolute), sorted. */
  readonly files: readonly string[];
  /** Folders under the out folder left empty and removed (absolute), deepest first. */
  readonly dirs: readonly string[];
  /** Files and symlinks under the out folder that kontext did not make (or cannot show it made): kept, sorted. */
  readonly kept: readonly string[];
}

export async function cleanRecipe(path: string, options: CleanOptions, deps: CleanDeps): Promise<CleanReport> {
  // A callback that throws changes nothing; once clean is done, its error is thrown (exit 70).
  const said = guardMessages(deps);
  const report = await clean(path, options, { ...deps, ...said });
  return said.unlessFailed(report, `clean went on regardless${report.dryRun ? ' (a dry run)' : ''}`);
}

async function clean(path: string, options: CleanOptions, deps: CleanDeps): Promise<CleanReport> {
  const { rt } = deps;
  const recipe = await loadRecipe(path, { rt, strict: false, allowOutsideRoot: options.allowOutsideRoot ?? false });
  // Every branch below every variant, picked or not: picking another one later stays free.
  const plan = buildPlan(withoutPicks(recipe));
  const lockPath = lockPathFor(recipe);
  // Checked as a run checks it: a cache dir holding the project or its out folder is exit 64.
  const cacheDir = cacheDirFor(recipe, options.cacheDir, rt);
  const guard = await writeGuardFor(recipe, {
    lockPath,
    cacheDir,
    allowOutsideRoot: options.allowOutsideRoot ?? false,
  });
  // A lock git left conflicted: --dry-run shows what clean would do with the merge a run writes;
  // clean itself removes files and rewrites the lock, so it waits until a run has written that merge.
  const store = {
    use: async <T>(f: (store: Store) => Promise<T>): Promise<T> => {
      const opened = await openStoreOrStandIn(cacheDir);
      return f(opened.store).finally(() => opened.discard());
    },
  };
  const resolved = await resolvedLock(lockPath, {
    outputs: guard,
    store,
    nodes: plan.nodes,
    providerName: recipe.provider,
  });
  const refusal = options.dryRun ? null : conflictRefusal(lockPath, resolved, 'clean does not rewrite it');
  if (refusal) throw refusal;
  const { lock } = resolved;
  const others = await outputsClaimedElsewhere({ lockPath, projectRoot: recipe.projectRoot });
  // Resolved through the remote cache a run would use, as status resolves (peeked, nothing kept):
  // a renamed node below another asks on an output the remote alone may hold (a clone without out/).
  const remote = { recipe, off: options.noRemote, rt, onWarning: deps.onWarning, onNotice: deps.onNotice };
  const taken = !dropsAny(plan, lock)
    ? new Map<string, string>()
    : await store.use((local) =>
        throughRemote(local, remote, (s) => takenEntries(plan, { lock, lockPath, store: s, guard, rt })),
      );
  const now = rt.now();
  const { lockEntries, scope } = outScope({ recipe, plan, lock, others, taken, lockPath, cacheDir, guard, now });
  const scan = await scanOutDir(scope);
  const dryRun = options.dryRun === true;
  const report: CleanReport = {
    recipe,
    lockPath,
    dryRun,
    lockEntries,
    taken: [...taken].map(([node, by]) => ({ node, by })),
    files: scan.files.sort(),
    dirs: scan.dirs.filter((d) => d !== recipe.outDir),
    kept: scan.kept.sort(),
  };
  if (dryRun) return report;
  if (lockEntries.length > 0)
    await removeLockEntries(lockPath, lockEntries, { pid: deps.rt.pid, isAlive: (pid) => deps.rt.isAlive(pid) });
  const files: string[] = [];
  for (const file of report.files) {
    if (!(await scan.stillInOut(file))) continue; // a folder swapped for a symlink since the walk
    await unlink(file).then(() => files.push(file), ignore('ENOENT'));
  }
  // A run may have written into a folder meanwhile: then it is not empty and stays.
  const removed: string[] = [];
  for (const dir of report.dirs) {
    if (await rmdir(dir).then(() => true, ignoreFalse('ENOENT', 'ENOTEMPTY', 'EEXIST'))) removed.push(dir);
  }
  return { ...report, files, dirs: removed };
}

function ignore(...codes: string[]): (e: unknown) => void {
  return (e) => {
    if (!codes.includes(String((e as { code?: unknown }).code))) throw e;
  };
}

function ignoreFalse(...codes: string[]): (e: unknown) => false {
  return (e) => {
    ignore(...codes)(e);
    return false;
  };
}
