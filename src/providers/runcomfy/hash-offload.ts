/**
 * SHA-256 while streaming, optionally on a worker thread. Without SHA CPU extensions, hashing
 * runs at about the speed of a loopback download, so hashing inline halves the throughput of
 * a large output; a worker overlaps it with receiving and writing. Bytes travel in a few
 * fixed slabs that are transferred (not copied) back and forth, which also bounds memory:
 * when every slab is with the worker, the download waits.
 */
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

export interface StreamingHash {
  /** Feed a chunk; a returned promise means "wait before the next one" (backpressure). */
  update(chunk: Uint8Array): Promise<void> | undefined;
  /** Hex digest of everything fed. */
  digest(): Promise<string>;
  /** Release resources (the worker); safe to call more than once. */
  dispose(): void;
}

/** Hash on the calling thread: right for small files, where a worker's start-up would dominate. */
export function inlineHash(): StreamingHash {
  const hash = createHash('sha256');
  return {
    update: (chunk) => void hash.update(chunk),
    digest: () => Promise.resolve(hash.digest('hex')),
    dispose: () => undefined,
  };
}

// CommonJS source evaluated in the worker, so it runs the same from dist/ and from TS tests.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const hash = require('node:crypto').createHash('sha256');
parentPort.on('message', (m) => {
  if (m === 'digest') return parentPort.postMessage({ digest: hash.digest('hex') });
  hash.update(new Uint8Array(m.buf, 0, m.len));
  parentPort.postMessage({ buf: m.buf }, [m.buf]);
});`;

/** Hash on a worker thread, through `slabs` transferable buffers of `slabBytes` each. */
export function workerHash(slabBytes = 1024 * 1024, slabs = 4): StreamingHash {
  // No inherited flags: a parent run with `--input-type=module` would make the CommonJS an ES module.
  const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
  const free: ArrayBuffer[] = Array.from({ length: slabs }, () => new ArrayBuffer(slabBytes));
  const waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  let failure: unknown;
  let finished: { resolve: (d: string) => void; reject: (e: unknown) => void } | undefined;
  let current: Uint8Array | undefined;
  let fill = 0;

  const fail = (e: unknown): void => {
    failure ??= e;
    for (const w of waiters.splice(0)) w.reject(failure);
    finished?.reject(failure);
  };
  worker.on('message', (m: { buf?: ArrayBuffer; digest?: string }) => {
    if (m.buf) {
      free.push(m.buf);
      waiters.shift()?.resolve();
    } else if (m.digest !== undefined) finished?.resolve(m.digest);
  });
  worker.on('error', fail);
  worker.on('exit', () => fail(new Error('hash worker stopped')));

  const flush = (): void => {
    if (!current || fill === 0) return;
    const buf = current.buffer as ArrayBuffer;
    worker.postMessage({ buf, len: fill }, [buf]);
    current = undefined;
    fill = 0;
  };
  const slab = async (): Promise<Uint8Array> => {
    while (free.length === 0) await new Promise<void>((resolve, reject) => waiters.push({ resolve, reject }));
    return new Uint8Array(free.pop() as ArrayBuffer);
  };
  const feed = async (chunk: Uint8Array, from: number): Promise<void> => {
    for (let off = from; off < chunk.length; ) {
      current ??= await slab();
      const n = Math.min(chunk.length - off, current.length - fill);
      current.set(chunk.subarray(off, off + n), fill);
      fill += n;
      off += n;
      if (fill === current.length) flush();
    }
  };

  return {
    update(chunk) {
      if (failure !== undefined) return Promise.reject(failure);
      // Fast path: the chunk fits in the slab being filled.
      if (current && fill + chunk.length < current.length) {
        current.set(chunk, fill);
        fill += chunk.length;
        return undefined;
      }
      return feed(chunk, 0);
    },
    digest() {
      if (failure !== undefined) return Promise.reject(failure);
      return new Promise<string>((resolve, reject) => {
        finished = { resolve, reject };
        flush();
        worker.postMessage('digest');
      });
    },
    dispose() {
      worker.removeAllListeners('exit');
      void worker.terminate();
    },
  };
}
