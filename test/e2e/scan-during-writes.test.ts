/**
 * `kontext status`, `kontext report` and `kontext clean --dry-run` (the built CLI) walk `<out>/`
 * while another process writes there: a run's output copies appear as temp files and are renamed
 * away, a clean removes emptied folders and a run makes them again. A file or folder listed by the
 * walk and gone a moment later is simply no longer there: no internal error (exit 70).
 * The writes here are the real output writer (`copyFileSafely`, as a run copies a result into
 * out/) and plain mkdir/rmdir, looping in this process while the CLI children read.
 */
import { mkdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSafely } from '../../src/store/safe-write.js';
import { buildWriteGuard } from '../../src/store/write-guard.js';
import { cli, cliEnv, ensureBuilt } from '../helpers/cli-spawn.js';
import { createProject, recipeYaml, runIn, summaryOf, type Project } from '../helpers/run-fixtures.js';

let project: Project | undefined;
beforeAll(ensureBuilt, 180_000);
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

describe('readers of out/ while it is being written', () => {
  it('status, report and clean --dry-run never fail on a file or folder that vanished mid-walk', async () => {
    project = await createProject(recipeYaml([['a', 'Keep the face unchanged. Make the sky orange.', 'variants: 4']]));
    const p = project;
    const run = await runIn(p, {}, {});
    expect(summaryOf(run).exitCode).toBe(0);
    const lock = await p.readLock();
    const entries = Object.values(lock.nodes);
    const blob = join(p.cacheDir, 'blobs', entries[0]!.output_sha256.slice(0, 2), entries[0]!.output_sha256);
    const guard = await buildWriteGuard({ projectRoot: p.root, allowOutsideRoot: false, protectedFiles: [] });
    let stop = false;
    // Each copy goes through a temp beside the output, renamed over it: the walk lists the temp
    // and then finds it gone. A pass folder made and removed: listed, then gone.
    const rewrite = async (output: string): Promise<void> => {
      while (!stop) await copyFileSafely(blob, join(p.root, output), guard, true);
    };
    const folder = join(p.outDir, 'zz');
    const churnFolder = async (): Promise<void> => {
      while (!stop) {
        await mkdir(folder, { recursive: true });
        await rmdir(folder).catch(() => undefined);
      }
    };
    const writers = [...entries.flatMap((e) => [rewrite(e.output), rewrite(e.output)]), churnFolder()];
    const env = cliEnv(p.root);
    const failures: string[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        for (const args of [
          ['status', p.recipe],
          ['report', p.recipe],
          ['clean', '--dry-run', p.recipe],
        ]) {
          const r = await cli(args, { cwd: p.root, env });
          if (r.code !== 0) failures.push(`${args[0]} exit ${String(r.code)}: ${r.stderr}`);
        }
      }
    } finally {
      stop = true;
      await Promise.all(writers);
      await rm(folder, { recursive: true, force: true });
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
