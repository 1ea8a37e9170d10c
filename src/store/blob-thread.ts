/**
 * `copyInBlob` for many files at once (`Store.copyInBlobs`): after a deleted cache a run rebuilds
 * every lock-current node's blob and record (run/lock-current.ts `markUsed`), 20,000 file creates
 * for 10,000 nodes. In one thread those are one after another, and each create after an rm -rf
 * of as many files can cost a tenth of a millisecond of kernel time or more (ext4 looks for a free
 * inode). So the blobs are copied on a worker thread while the caller writes the records on its
 * own: two threads creating files in two folders, about twice as fast on two cores (measured
 * with 10,000 of each right after an rm -rf: 2.7 s in one thread, 1.2 s in two).
 *
 * Below {@link BLOB_THREAD_AT} files the thread's start costs more than it saves: they are copied
 * here, synchronously, as `copyInBlob` does. A thread that fails to start or dies leaves its
 * unanswered files to this thread, one after another: copying a blob again is harmless (one
 * already there is kept), so nothing is lost but time.
 *
 * The thread does what `copyInBlob` does (blobs.ts): a blob already there is kept and marked used
 * when stale (touch.ts), else the file is copied to a temp beside it (named here, by
 * `tempPathFor`, with this process's tag, so a crash's temp is swept as any other) and renamed
 * into place, unsynced: such blobs are rebuildable (run/adopt.ts).
 */
import { Worker } from 'node:worker_threads';
import { tempPathFor } from './atomic.js';
import { copyInBlob } from './blobs.js';
import { assertHex64, layout } from './layout.js';
import { TOUCH_AFTER_MS } from './touch.js';

/** One file to copy in, under the blob name its sha256 gives. */
export interface BlobCopy {
  readonly path: string;
  readonly sha256: string;
}

/** From this many files on, a worker thread copies them. */
export const BLOB_THREAD_AT = 512;
/** Files per message: the caller writes a chunk's records while the thread copies the next. */
const CHUNK = 128;

// CommonJS evaluated in the worker, so it runs the same from dist/ and from the TS tests. A
// chunk's answer lists the indexes (in the chunk) of the files now in the store.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const { dirname } = require('node:path');
// The blob's folder, and at most its two parents (blobs/, the cache dir): a bounded climb, where
// Node's recursive mkdir loops for ever under a folder that says ENOENT (util/mkdir-p.ts).
function mkdirIn(dir, depth) {
  try {
    fs.mkdirSync(dir);
  } catch (e) {
    if (e.code === 'EEXIST') return;
    if (e.code !== 'ENOENT' || depth === 0) throw e;
    mkdirIn(dirname(dir), depth - 1);
    mkdirIn(dir, 0);
  }
}
function copyToTemp(m) {
  try {
    fs.copyFileSync(m.path, m.tmp, fs.constants.COPYFILE_EXCL);
  } catch (e) {
    // ENOENT: no temp was made; EEXIST: the temp is not ours. Any other may leave a half copy.
    if (e.code !== 'ENOENT' && e.code !== 'EEXIST') fs.rmSync(m.tmp, { force: true });
    throw e;
  }
}
function copyIn(m, now, staleMs) {
  const found = fs.statSync(m.target, { throwIfNoEntry: false });
  if (found && found.isFile()) {
    if (now - found.mtimeMs >= staleMs) {
      try {
        fs.utimesSync(m.target, now / 1000, now / 1000);
      } catch {}
    }
    return;
  }
  try {
    copyToTemp(m);
  } catch (e) {
    if (e.code !== 'ENOENT') throw e;
    mkdirIn(dirname(m.target), 2);
    copyToTemp(m);
  }
  try {
    fs.renameSync(m.tmp, m.target);
  } catch (e) {
    fs.rmSync(m.tmp, { force: true });
    throw e;
  }
}
let dieAfter = -1;
parentPort.on('message', (m) => {
  if (m.dieAfter !== undefined) {
    dieAfter = m.dieAfter;
    return;
  }
  if (dieAfter === 0) throw new Error('told to die');
  if (dieAfter > 0) dieAfter--;
  const done = [];
  m.items.forEach((item, i) => {
    try {
      copyIn(item, m.now, m.staleMs);
      done.push(i);
    } catch {}
  });
  parentPort.postMessage({ id: m.id, done });
});`;

interface ThreadItem {
  readonly path: string;
  readonly tmp: string;
  readonly target: string;
}

/** Test hook: the next thread started answers this many chunks, then dies on the next. */
let dieAfterForTests: number | null = null;

export function dieAfterChunksForTests(chunks: number | null): void {
  dieAfterForTests = chunks;
}

/** Chunks a thread has copied in this process (tests: that the thread did the work). */
let threadChunks = 0;

export function threadChunksForTests(): number {
  return threadChunks;
}

/**
 * Copy `items` into the store at `root` (each as `copyInBlob` does), yielding as they land the
 * indexes (into `items`) of those now in the store; a file that cannot be copied (gone, a full
 * disk) is left out. Every index is yielded at most once.
 */
export async function* copyInBlobs(
  root: string,
  items: readonly BlobCopy[],
  now: () => number,
): AsyncGenerator<readonly number[]> {
  for (const item of items) assertHex64(item.sha256, 'blob digest');
  if (items.length < BLOB_THREAD_AT) {
    yield copyHere(root, items, 0, items.length, now);
    return;
  }
  const answered = new Set<number>(); // chunk numbers
  for await (const [chunk, done] of onThread(root, items, now)) {
    answered.add(chunk);
    threadChunks++;
    yield done.map((i) => chunk * CHUNK + i);
  }
  // The thread could not start or died: its unanswered chunks are copied here.
  for (let c = 0; c * CHUNK < items.length; c++)
    if (!answered.has(c)) yield copyHere(root, items, c * CHUNK, Math.min(items.length, (c + 1) * CHUNK), now);
}

/** `items[from, to)` copied in on this thread; the indexes of those now in the store. */
function copyHere(root: string, items: readonly BlobCopy[], from: number, to: number, now: () => number): number[] {
  const done: number[] = [];
  for (let i = from; i < to; i++) {
    try {
      copyInBlob(root, items[i]!.path, items[i]!.sha256, now);
      done.push(i);
    } catch {
      // Left out: rebuildable (run/adopt.ts), it is adopted again on a later run.
    }
  }
  return done;
}

/**
 * Every chunk posted to one new worker at once; yields `[chunk, indexes done in it]` as answers
 * come, and ends when all are answered or the thread is gone (failed to start, died).
 */
async function* onThread(
  root: string,
  items: readonly BlobCopy[],
  now: () => number,
): AsyncGenerator<readonly [number, readonly number[]]> {
  let worker: Worker;
  try {
    // No inherited flags: a parent run with `--input-type=module` would make the CommonJS an ES module.
    worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
  } catch {
    return;
  }
  const answers: (readonly [number, readonly number[]])[] = [];
  let ended = false;
  let wake: (() => void) | null = null;
  const signal = (): void => {
    wake?.();
    wake = null;
  };
  worker.on('message', (m: { readonly id: number; readonly done: readonly number[] }) => {
    answers.push([m.id, m.done]);
    signal();
  });
  const end = (): void => {
    ended = true;
    signal();
  };
  worker.on('error', end);
  worker.on('exit', end);
  if (dieAfterForTests !== null) worker.postMessage({ dieAfter: dieAfterForTests });
  const chunks = Math.ceil(items.length / CHUNK);
  for (let c = 0; c < chunks; c++) {
    const slice: ThreadItem[] = items.slice(c * CHUNK, (c + 1) * CHUNK).map(({ path, sha256 }) => {
      const target = layout.blob(root, sha256);
      return { path, target, tmp: tempPathFor(target) };
    });
    worker.postMessage({ id: c, items: slice, now: now(), staleMs: TOUCH_AFTER_MS });
  }
  try {
    for (let got = 0; got < chunks; ) {
      const next = answers.shift();
      if (next !== undefined) {
        got++;
        yield next;
      } else if (ended) return;
      else await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    await worker.terminate();
  }
}
