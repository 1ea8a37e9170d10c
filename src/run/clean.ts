/**
 * `kontext clean`: remove what a recipe no longer produces. Orphans are the lock entries whose
 * node id is not in the current plan, and the files under the recipe's out folder that no
 * current node (nor its `save:` copy) produces: images, the outputs the orphaned entries name,
 * and temp files of a crashed write older than a day. Nothing outside `<out>/` is removed
 * (a `save:` copy elsewhere stays), symlinks are neither followed nor removed, and the lock is
 * rewritten atomically under its `.lck` mutex, as a run does (`removeLockEntries`). Folders under
 * `<out>/` emptied by the removal go too.
 */
import { lstat, readdir, rmdir, unlink } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { buildPlan, outputPathFor, withoutPicks } from '../plan/index.js';
import { isReportFile } from '../plan/report-paths.js';
import { loadRecipe } from '../recipe/index.js';
import type { Recipe } from '../recipe/types.js';
import type { Runtime } from '../runtime.js';
import { isTempName, readLock, removeLockEntries, resolveCacheDir, STALE_TEMP_MS } from '../store/index.js';
import { lockPathFor } from './run-recipe.js';
import { writeGuardFor } from './write-guard-for.js';

export interface CleanOptions {
  readonly dryRun?: boolean | undefined;
  readonly allowOutsideRoot?: boolean | undefined;
}

export interface CleanDeps {
  readonly rt: Runtime;
}

export interface CleanReport {
  readonly recipe: Recipe;
  readonly lockPath: string;
  readonly dryRun: boolean;
  /** Node ids dropped from the lock, sorted. */
  readonly lockEntries: readonly string[];
  /** Files removed (absolute), sorted. */
  readonly files: readonly string[];
  /** Folders under the out folder left empty and removed (absolute), deepest first. */
  readonly dirs: readonly string[];
}

/** Extensions of the images kontext writes (`extensionFor` in outputs.ts, plus `jpeg`). */
const IMAGE_EXTS = ['png', 'jpg', 'jpeg', 'webp', 'gif', 'avif'];

export async function cleanRecipe(path: string, options: CleanOptions, deps: CleanDeps): Promise<CleanReport> {
  const { rt } = deps;
  const recipe = await loadRecipe(path, { rt, strict: false, allowOutsideRoot: options.allowOutsideRoot ?? false });
  // Every branch below every variant, picked or not: picking another one later stays free.
  const plan = buildPlan(withoutPicks(recipe));
  const lockPath = lockPathFor(recipe);
  const guard = await writeGuardFor(recipe, {
    lockPath,
    cacheDir: resolveCacheDir({ flag: undefined, env: rt.env, cwd: rt.cwd }),
    allowOutsideRoot: options.allowOutsideRoot ?? false,
  });
  const lock = await readLock(lockPath, { outputs: guard });
  const current = new Set(plan.nodes.map((n) => n.id));
  const lockEntries = Object.keys(lock.nodes)
    .filter((id) => !current.has(id))
    .sort();
  const fromLock = (output: string): string => resolve(dirname(lockPath), output);

  const keep = new Set<string>();
  for (const node of plan.nodes) {
    for (const ext of IMAGE_EXTS) {
      keep.add(resolve(outputPathFor(plan, node, ext)));
      if (node.save !== null) keep.add(resolve(recipe.dir, node.save.split('{ext}').join(ext)));
    }
    const entry = lock.nodes[node.id];
    if (entry) keep.add(fromLock(entry.output));
  }
  const orphanOutputs = new Set(lockEntries.map((id) => fromLock(lock.nodes[id]?.output ?? '')));
  const isArtefact = async (file: string): Promise<boolean> => {
    if (keep.has(file) || isReportFile(recipe.outDir, file)) return false; // `kontext report` output
    const name = basename(file);
    if (isTempName(name)) return rt.now() - (await lstat(file)).mtimeMs > STALE_TEMP_MS;
    return orphanOutputs.has(file) || IMAGE_EXTS.includes(extname(name).slice(1).toLowerCase());
  };

  const found = { files: [] as string[], dirs: [] as string[] };
  if (await isRealDir(recipe.outDir)) await scan(recipe.outDir, isArtefact, found);
  const dryRun = options.dryRun === true;
  const report: CleanReport = {
    recipe,
    lockPath,
    dryRun,
    lockEntries,
    files: [...found.files].sort(),
    dirs: found.dirs.filter((d) => d !== recipe.outDir),
  };
  if (dryRun) return report;
  if (lockEntries.length > 0)
    await removeLockEntries(lockPath, lockEntries, { pid: deps.rt.pid, isAlive: (pid) => deps.rt.isAlive(pid) });
  for (const file of report.files) await unlink(file).catch(ignore('ENOENT'));
  // A run may have written into a folder meanwhile: then it is not empty and stays.
  const removed: string[] = [];
  for (const dir of report.dirs) {
    if (await rmdir(dir).then(() => true, ignoreFalse('ENOENT', 'ENOTEMPTY', 'EEXIST'))) removed.push(dir);
  }
  return { ...report, dirs: removed };
}

/**
 * Walk `dir` without following symlinks, collecting files to remove; returns whether `dir`
 * would be empty afterwards. A folder goes in `dirs` (children before parents) only when it
 * would be empty and something inside it is removed: a folder the user left empty stays.
 */
async function scan(
  dir: string,
  isArtefact: (file: string) => Promise<boolean>,
  found: { files: string[]; dirs: string[] },
): Promise<{ empty: boolean; removesSome: boolean }> {
  let empty = true;
  let removesSome = false;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      const sub = await scan(path, isArtefact, found);
      empty &&= sub.empty && sub.removesSome;
      removesSome ||= sub.removesSome;
    } else if (e.isFile() && (await isArtefact(path))) {
      found.files.push(path);
      removesSome = true;
    } else {
      empty = false; // a symlink, a kept output, anything the user put here
    }
  }
  if (empty && removesSome) found.dirs.push(dir);
  return { empty, removesSome };
}

/** A folder, not a symlink to one: a linked out folder is not walked. */
async function isRealDir(path: string): Promise<boolean> {
  return lstat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
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
