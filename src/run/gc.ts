/**
 * `kontext gc` as a library call: which cache, which lock files protect what, then
 * `gcStore` (src/store/gc.ts) does the pruning. The cache dir is the one `kontext run` uses
 * from the working directory (`cacheDirFor`), unless given.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { findProjectRoot } from '../recipe/index.js';
import type { Runtime } from '../runtime.js';
import { gcStore, type GcReport } from '../store/gc.js';
import { cacheDirFor } from './context.js';
import { findLockFiles } from './project-locks.js';

export interface GcCacheOptions {
  readonly olderThanMs?: number | undefined;
  readonly maxBytes?: number | undefined;
  /** Folders searched for `*.lock.json` (default: the project root of the working directory). */
  readonly projects?: readonly string[] | undefined;
  readonly cacheDir?: string | undefined;
  readonly dryRun?: boolean | undefined;
}

export interface GcCacheDeps {
  readonly rt: Runtime;
}

export interface GcCacheReport extends GcReport {
  readonly projects: readonly string[];
}

export async function gcCache(options: GcCacheOptions, deps: GcCacheDeps): Promise<GcCacheReport> {
  const { rt } = deps;
  if (options.olderThanMs === undefined && options.maxBytes === undefined)
    throw new UsageError('gc: nothing to do without --older-than or --max-size', {
      hint: 'e.g. kontext gc --older-than 30d, or --max-size 2GB',
    });
  const projectRoot = findProjectRoot(rt.cwd, rt.cwd);
  const projects = (options.projects?.length ? options.projects : [projectRoot]).map((p) => resolve(rt.cwd, p));
  for (const p of projects) {
    const isDir = await stat(p).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isDir) throw new UsageError(`--project ${p}: not a folder`);
  }
  const cacheDir = cacheDirFor({ projectRoot }, options.cacheDir, rt);
  const report = await gcStore(cacheDir, {
    olderThanMs: options.olderThanMs,
    maxBytes: options.maxBytes,
    // Found once gc has read the journal: a run's first lock file, written meanwhile, is seen.
    lockFiles: () => findLockFiles(projects, cacheDir),
    // With out/ ignored, another branch's results live only in the cache (walk-v 3).
    lockTexts: async () => {
      const { gitLocks } = await import('./git-locks.js');
      return (await Promise.all(projects.map((p) => gitLocks(p, rt.env)))).flat();
    },
    dryRun: options.dryRun,
    now: rt.now,
    pid: rt.pid,
    isAlive: (pid) => rt.isAlive(pid),
    crashPoint: rt.crashPoint,
  });
  return { ...report, projects };
}
