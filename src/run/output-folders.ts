/**
 * Where a run writes, checked before it pays: a folder that cannot be made (`out:` under a file,
 * `/proc/x`) or written (read-only) is exit 73 naming it, with nothing submitted, instead of a paid
 * result that could never be written (it stayed in the cache, but the run was paid for and could
 * not finish); so is a file the write would refuse (the write guard: a `save:` into the cache dir,
 * exit 65; a folder at the file's path, exit 73). A recipe run checks, last in its preflight, the
 * files of the nodes it executes and of the cache hits it may copy out (not those the lock proves
 * current), each folder tried once, and nothing when no node executes: an up-to-date run makes no
 * extra syscall. `kontext edit` checks its `-o` folder the same way before anything else.
 */
import { lstat, open, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import pLimit from 'p-limit';
import { tempPathFor } from '../store/atomic.js';
import { mkdirDurable } from '../store/dir-sync.js';
import { folderInTheWay } from '../store/safe-write.js';
import { checkWriteTarget, type WriteGuard } from '../store/write-guard.js';
import { mkdirp } from '../util/mkdir-p.js';
import { NAME_MAX_BYTES } from '../util/unique-suffix.js';
import { outputTargets, requestedExtension } from './hand-edits.js';
import { providerOf } from './node-provider.js';
import { outputPathError } from './output-errors.js';
import type { Prepared } from './prepare.js';

/**
 * Make the folder of `file` and create (then remove) a temp file in it, as the write will; exit 73
 * naming the folder when either fails (the folders made here removed again). Returns what removes
 * the folders made here again, those still empty. `durable`: the folders are made as a paid
 * result's write makes them (each new one noted for an fsync into its parent, dir-sync.ts), for a
 * run that keeps them.
 */
export async function prepareOutputFolder(
  file: string,
  durable = false,
  made?: Set<string>,
): Promise<() => Promise<void>> {
  const folder = dirname(file);
  const first = await (durable ? mkdirDurable(folder, true) : mkdirp(folder)).catch((e: unknown) => {
    throw outputPathError(e, folder);
  });
  // `made`: each folder this call made, for a caller that removes them all at the end.
  if (first !== undefined && made !== undefined)
    for (let d = folder; d !== dirname(d); d = dirname(d)) {
      made.add(d);
      if (d === first) break;
    }
  const undo = async (): Promise<void> => {
    if (first === undefined) return;
    for (let d = folder; d !== dirname(d); d = dirname(d)) {
      const removed = await rmdir(d).then(
        () => true,
        () => false,
      );
      if (!removed || d === first) return;
    }
  };
  const probe = tempPathFor(file);
  try {
    await (await open(probe, 'wx', 0o644)).close();
    await rm(probe, { force: true });
  } catch (e) {
    await undo();
    throw outputPathError(e, folder);
  }
  return undo;
}

/**
 * Every file the run will write an output or a `save:` copy to checked as the write will check it
 * (`guard`: the write guard's refusal, exit 65; a folder there, exit 73), then every folder it
 * writes into made and tried (see the top); the first failure, in plan order, is thrown. `dryRun`:
 * the folders made are removed again (a dry run leaves nothing behind).
 */
export async function checkOutputFolders(
  prepared: Prepared,
  providerName: string,
  how: { readonly dryRun: boolean; readonly guard: WriteGuard },
): Promise<void> {
  const files = outputFiles(prepared, providerName);
  // A few at once (walk-t: one after another, a dry run of 10,000 passes took 28 s), the first
  // failure in plan order thrown.
  const limit = pLimit(CHECKS_AT_ONCE);
  await firstFailure(
    files.map((file) =>
      limit(async () => {
        // Up to the limit the write's temp is cut to fit (tempNameFor); past it, no write can be.
        if (Buffer.byteLength(basename(file)) > NAME_MAX_BYTES)
          throw outputPathError(Object.assign(new Error('name too long'), { code: 'ENAMETOOLONG' }), file);
        const real = await checkWriteTarget(file, how.guard);
        if ((await lstat(real).catch(() => null))?.isDirectory() === true) throw folderInTheWay(file);
      }),
    ),
  );
  const folders = new Map<string, string>(); // folder → the first file written there
  for (const file of files) if (!folders.has(dirname(file))) folders.set(dirname(file), file);
  // A dry run, or one that stops here, removes every folder it made once all are tried, deepest
  // first: made at once, two folders may each have made their shared parent as far as they know.
  const made = new Set<string>();
  let stops = true;
  try {
    await firstFailure([...folders.values()].map((file) => limit(() => prepareOutputFolder(file, !how.dryRun, made))));
    stops = false;
  } finally {
    if (how.dryRun || stops)
      for (const dir of [...made].sort((a, b) => b.length - a.length)) await rmdir(dir).catch(() => undefined);
  }
}

/** Folders and files checked at once. */
const CHECKS_AT_ONCE = 16;

/** Waits for all; throws the first failure in the order given. */
async function firstFailure(work: readonly Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(work)).find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** The files the run writes (see the top), in plan order; none when no node executes. */
function outputFiles(prepared: Prepared, providerName: string): string[] {
  const { states, stopped } = prepared;
  const runs = (id: string): boolean => states.get(id)?.status === 'run' && stopped?.has(id) !== true;
  if (!prepared.nodes.some((n) => runs(n.id))) return [];
  const { outDir } = prepared.plan.recipe;
  const files = new Set<string>();
  for (const node of prepared.nodes) {
    const state = states.get(node.id);
    if (state === undefined || state.current !== undefined || stopped?.has(node.id) === true) continue;
    const ext =
      state.status === 'cached' && state.record
        ? state.record.ext
        : requestedExtension(providerOf(node, providerName), node.model, node.params, prepared.lock.nodes[node.id]);
    for (const path of outputTargets(outDir, node, ext)) files.add(resolve(path));
  }
  return [...files];
}
