/**
 * The folders a run writes into, made and tried before it pays: a folder that cannot be made
 * (`out:` under a file, `/proc/x`) or written (read-only) is exit 73 naming it, with nothing
 * submitted, instead of a paid result that could never be written (it stayed in the cache, but
 * the run was paid for and could not finish). A recipe run checks, last in its preflight, the
 * folders of the nodes it executes and of the cache hits it may copy out (not those the lock
 * proves current), each folder once, and none when no node executes: an up-to-date run makes no
 * extra syscall. `kontext edit` checks its `-o` folder the same way before anything else.
 */
import { open, rm, rmdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { tempPathFor } from '../store/atomic.js';
import { mkdirDurable } from '../store/dir-sync.js';
import { mkdirp } from '../util/mkdir-p.js';
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
export async function prepareOutputFolder(file: string, durable = false): Promise<() => Promise<void>> {
  const folder = dirname(file);
  const first = await (durable ? mkdirDurable(folder, true) : mkdirp(folder)).catch((e: unknown) => {
    throw outputPathError(e, folder);
  });
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
 * Every folder the run will write an output or a `save:` copy into, made and tried (see the top);
 * the first that fails, in plan order, is thrown (exit 73). `dryRun`: the folders made are removed
 * again (a dry run leaves nothing behind).
 */
export async function checkOutputFolders(prepared: Prepared, providerName: string, dryRun: boolean): Promise<void> {
  for (const file of outputFolders(prepared, providerName)) {
    const undo = await prepareOutputFolder(file, !dryRun);
    if (dryRun) await undo();
  }
}

/** One file per folder the run writes into (see the top), in plan order; none when no node executes. */
function outputFolders(prepared: Prepared, providerName: string): string[] {
  const { states, stopped } = prepared;
  const runs = (id: string): boolean => states.get(id)?.status === 'run' && stopped?.has(id) !== true;
  if (!prepared.nodes.some((n) => runs(n.id))) return [];
  const { outDir } = prepared.plan.recipe;
  const folders = new Map<string, string>();
  for (const node of prepared.nodes) {
    const state = states.get(node.id);
    if (state === undefined || state.current !== undefined || stopped?.has(node.id) === true) continue;
    const ext =
      state.status === 'cached' && state.record
        ? state.record.ext
        : requestedExtension(providerOf(node, providerName), node.model, node.params, prepared.lock.nodes[node.id]);
    for (const path of outputTargets(outDir, node, ext)) {
      const file = resolve(path);
      if (!folders.has(dirname(file))) folders.set(dirname(file), file);
    }
  }
  return [...folders.values()];
}
