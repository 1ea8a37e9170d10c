/**
 * The journal's exclusive creates (a claim: temp written and fsynced, hard-linked to the entry's
 * name unless it exists, the folder fsynced) on one worker thread, in synchronous calls there.
 * A claim sits between a freed `-j` slot and its submit. Made with promise calls on the event
 * loop, its seven syscalls are seven round trips through libuv's four-thread pool, which the
 * run's downloads, writes and sharp's reviews keep busy: ~12–25 ms per claim in the scheduler
 * bench against ~1 ms of syscalls. Here it is one message each way. Claims that arrive together
 * share one fsync of their folder (group commit), as dir-sync.ts does on the main thread.
 *
 * The thread starts when a run has requests to submit (`startClaimThread`, by the scheduler) or
 * on the first claim; a claim made while it starts takes the promise path, never waiting for it.
 * It keeps the process alive only while a claim is with it. A thread that dies fails the claims
 * it holds with {@link ClaimThreadStopped} (the node stops before its submit; the journal takes
 * back what the thread may have linked of such a claim: journal.ts); the process's later claims
 * take the promise path.
 */
import { Worker } from 'node:worker_threads';
import { ExitCode } from '../errors.js';
import { StoreError } from './errors.js';

/** What a claim made on the thread tells its caller. */
export type ThreadClaim = Promise<boolean>;

interface Waiter {
  readonly resolve: (linked: boolean) => void;
  readonly reject: (e: unknown) => void;
}

interface Reply {
  readonly id: number;
  readonly linked?: boolean;
  readonly error?: { readonly message: string; readonly code?: string; readonly syscall?: string };
}

// CommonJS evaluated in the worker, so it runs the same from dist/ and from the TS tests.
// Messages that arrive together are handled as one batch: each created and linked, then one
// fsync per folder for the batch. Folder fsync errors a platform gives for "cannot" are
// ignored as in dir-sync.ts (`fsyncDir`); any other error fails the claims it covers.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const { dirname } = require('node:path');
const queue = [];
let scheduled = false;
const fail = (e) => ({ message: String(e && e.message), code: e && e.code, syscall: e && e.syscall });
// Out of file descriptors (util/fd-limit.ts): opened again after a pause, for about 30 s.
const pause = new Int32Array(new SharedArrayBuffer(4));
function openRetrying(path, flags, mode) {
  for (let attempt = 0; ; attempt++) {
    try {
      return fs.openSync(path, flags, mode);
    } catch (e) {
      if ((e.code !== 'EMFILE' && e.code !== 'ENFILE') || attempt >= 100) throw e;
      Atomics.wait(pause, 0, 0, Math.min(5 * 2 ** attempt, 300));
    }
  }
}
function create(m) {
  const fd = openRetrying(m.tmp, 'wx', 0o644);
  let linked = false;
  try {
    try {
      fs.writeFileSync(fd, m.text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    try {
      fs.linkSync(m.tmp, m.target);
      linked = true;
    } catch (e) {
      if (e.code === 'EEXIST') return false;
      if (!NO_HARD_LINKS.includes(e.code)) throw e;
      return createInPlace(m.target, m.text);
    }
  } finally {
    if (!linked) fs.rmSync(m.tmp, { force: true });
  }
  return true;
}
// No hard links on this file system (errno.ts NO_HARD_LINKS): the entry itself created exclusively.
const NO_HARD_LINKS = ['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'];
function createInPlace(target, text) {
  let fd;
  try {
    fd = openRetrying(target, 'wx', 0o644);
  } catch (e) {
    if (e.code === 'EEXIST') return false;
    throw e;
  }
  try {
    try {
      fs.writeFileSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    fs.rmSync(target, { force: true }); // ours, never complete: no claim
    throw e;
  }
  return true;
}
function syncFolder(dir) {
  let fd;
  try {
    fd = openRetrying(dir, 'r');
  } catch (e) {
    if (e.code === 'EISDIR' || e.code === 'EPERM' || e.code === 'EACCES') return;
    throw e;
  }
  try {
    fs.fsyncSync(fd);
  } catch (e) {
    if (!(e.code === 'EINVAL' || e.code === 'EPERM' || e.code === 'EBADF')) throw e;
  } finally {
    fs.closeSync(fd);
  }
}
function drain() {
  scheduled = false;
  const linked = new Map();
  for (const m of queue.splice(0)) {
    try {
      if (!create(m)) {
        parentPort.postMessage({ id: m.id, linked: false });
        continue;
      }
      try {
        fs.unlinkSync(m.tmp);
      } catch (e) {
        if (e.code !== 'ENOENT') throw e;
      }
      const dir = dirname(m.target);
      (linked.get(dir) || linked.set(dir, []).get(dir)).push(m);
    } catch (e) {
      parentPort.postMessage({ id: m.id, error: fail(e) });
    }
  }
  if (death !== null) throw new Error('told to die');
  for (const [dir, ms] of linked) {
    let error;
    try {
      syncFolder(dir);
    } catch (e) {
      error = fail(e);
    }
    for (const m of ms) parentPort.postMessage(error ? { id: m.id, error } : { id: m.id, linked: true });
  }
}
// Test hook (dieOnClaimsForTests): hold the claims until this many are here, then crash (an
// uncaught error ends the thread) before answering any, having linked none ('before-link') or
// each ('after-link').
let death = null;
parentPort.on('message', (m) => {
  if (m.die) death = m.die;
  else queue.push(m);
  if (death !== null && (queue.length < death.claims || death.when === 'before-link')) {
    if (queue.length >= death.claims) throw new Error('told to die');
    return;
  }
  if (!scheduled) {
    scheduled = true;
    setImmediate(drain);
  }
});`;

let thread: { readonly worker: Worker; online: boolean } | null = null;
/** The thread failed (it could not start, or died): this process makes its claims with promise calls. */
let broken = false;
const waiting = new Map<number, Waiter>();
let nextId = 0;

function start(): void {
  // No inherited flags: a parent run with `--input-type=module` would make the CommonJS an ES module.
  const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
  const current = { worker, online: false };
  thread = current;
  worker.once('online', () => {
    current.online = true;
  });
  worker.on('message', (reply: Reply) => {
    const waiter = waiting.get(reply.id);
    waiting.delete(reply.id);
    if (waiting.size === 0) worker.unref();
    if (reply.error) waiter?.reject(systemError(reply.error));
    else waiter?.resolve(reply.linked === true);
  });
  const stop = (why: string, cause?: unknown): void => {
    broken = true;
    if (thread === current) thread = null;
    for (const w of waiting.values()) w.reject(new ClaimThreadStopped(why, cause));
    waiting.clear();
  };
  worker.on('error', (e) => stop(`failed (${e instanceof Error ? e.message : String(e)})`, e));
  worker.on('exit', (code) => stop(`stopped (exit code ${code})`));
  // After the listeners: adding a 'message' listener refs the worker's port again.
  worker.unref();
}

/** Start the thread now, unless it is up, starting or failed: the first claims then find it up. */
export function startClaimThread(): void {
  if (thread === null && !broken) start();
}

/**
 * Create `target` from `text` exclusively and durably on the claim thread (through the temp
 * `tmp` in its folder); resolves `false` when `target` exists. `null` when the thread is not
 * up yet (it is started): the caller makes this claim with promise calls.
 */
export function claimOnThread(target: string, tmp: string, text: string): ThreadClaim | null {
  if (broken) return null;
  if (thread === null) {
    start();
    return null;
  }
  if (!thread.online) return null;
  const id = nextId++;
  const linked = new Promise<boolean>((resolve, reject) => waiting.set(id, { resolve, reject }));
  thread.worker.ref();
  thread.worker.postMessage({ id, target, tmp, text });
  return linked;
}

/**
 * The thread died holding the claim: it may have linked the entry (not answered, not synced). The
 * journal takes that link back (journal.ts), so the claim is not made and the node, which stops
 * here, submitted nothing: nothing is "maybe paid" for it.
 */
export class ClaimThreadStopped extends StoreError {
  override readonly name = 'ClaimThreadStopped';
  constructor(why: string, cause?: unknown) {
    super('E_CLAIM_THREAD', `the journal's claim thread ${why} before it answered this node's claim`, {
      exitCode: ExitCode.SOFTWARE,
      hint: 'nothing was submitted for it: run again (later claims of this process are made without the thread)',
      cause,
    });
  }
}

/**
 * Test hook: the thread (started now if it is not up; resolves once it is) crashes once `claims`
 * claims are with it, before answering any: `before-link` having written none, `after-link`
 * having linked each (the entries on disk, their folder not fsynced). A thread that died
 * before is forgotten first.
 */
export async function dieOnClaimsForTests(claims: number, when: 'before-link' | 'after-link'): Promise<void> {
  broken = false;
  if (thread === null) start();
  const current = thread as NonNullable<typeof thread>;
  if (!current.online) await new Promise((resolve) => current.worker.once('online', resolve));
  current.worker.postMessage({ die: { claims, when } });
}

/**
 * Test hook: forget a thread that died (a death test's), so this process's next claim starts one
 * again. The test files share a process: without it, every later claim of that worker took the
 * promise path, and a test waiting for the thread waited for ever.
 */
export function forgetDeadThreadForTests(): void {
  if (thread === null) broken = false;
}

/** An error with the system error's fields (`code` for `isCode`, `syscall`), as fs would throw. */
function systemError(e: NonNullable<Reply['error']>): Error {
  return Object.assign(new Error(e.message), {
    ...(e.code !== undefined && { code: e.code }),
    ...(e.syscall !== undefined && { syscall: e.syscall }),
  });
}
