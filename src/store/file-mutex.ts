/**
 * A cross-process mutex on a file: `<file>.lck`, holding the owner's pid, process tag, creation
 * time and a random token. The holder's text is written to a temp file beside it (with this
 * process's tag in its name, util/unique-suffix.ts) and then hard-linked to the `.lck` name:
 * link(2) fails with EEXIST when the name is taken, so the create stays exclusive, and a live
 * holder's `.lck` is never empty. Where there are no hard links (exFAT, FAT, many network
 * shares: link says EPERM) it is created in place with O_EXCL and written at once. Waiters poll
 * with a short backoff. A lock is stale when it is older than `staleMs` (holders keep it for
 * milliseconds) or its pid is dead on this machine, or alive as another process (reused since:
 * the holder's process tag, util/process-tag.ts, has another start time). A holder elsewhere names
 * a pid that means nothing here: by its place (util/process-tag.ts `processPlace`), one of another
 * boot of this machine is dead, one of another machine waited for (`onWait` says so:
 * `elsewhere`, with its host name); without a place (an older kontext's), or of another container
 * of this boot, dead when no process has the pid here, else waited for (`elsewhere`); and, whatever
 * `staleMs` says (a run lock's is for ever), when it names no holder (empty or torn: a crash or a
 * power cut between an in-place create and its write, or an older kontext's) and was last written
 * {@link EMPTY_STALE_MS} ago. A waiter never gives up on such a lock before it can go stale.
 * `holdWhenFull` (gc, which must run to free a full disk): when there is no room for the
 * holder's text, the lock is held by an empty `.lck` hard-linked to an empty temp whose name
 * tells the holder (neither needs a data block), the temp kept until release.
 * Library code never touches `process`: the caller passes its pid and a liveness check.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { Stats } from 'node:fs';
import { link, lstat, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { isTempName, sweepDeadTempsOnce, withParentDir } from './atomic.js';
import {
  placeOf,
  processPlace,
  processTag,
  startedAfter,
  tagIsDead,
  tagIsElsewhere,
  writerOf,
} from '../util/process-tag.js';
import { isCode, NO_HARD_LINKS } from './errno.js';
import { LockBusyError } from './errors.js';
import { tryCreate, writeNew } from './file-mutex-create.js';
import { READ_CAPS, readBoundedText } from '../util/read-bounded.js';
import { retryFdLimit } from '../util/fd-limit.js';

export interface FileMutexOptions {
  /** This process's id, written into the `.lck` file so others can check it. */
  readonly pid?: number;
  /**
   * Whether a pid is alive (e.g. `process.kill(pid, 0)` not throwing ESRCH). Without it, only age makes a lock stale.
   */
  readonly isAlive?: (pid: number) => boolean;
  readonly now?: () => number;
  /** Rejects when `signal` (the options' own) aborts; the default does. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Default 30 s. */
  readonly staleMs?: number;
  /** How long to wait for a busy lock before giving up. Default 15 s. */
  readonly timeoutMs?: number;
  /**
   * Told once, the first time the lock is found held by a live holder (before waiting);
   * `elsewhere`: its tag names another machine, boot or container, where its pid cannot be checked.
   */
  readonly onWait?: ((holder: HolderSeen) => void) | undefined;
  /** Stops waiting (rejects with its reason). */
  readonly signal?: AbortSignal | undefined;
  /**
   * On a full disk (ENOSPC writing the holder's text), hold the lock by an empty `.lck` linked to
   * an empty temp whose name tells the holder (see above) rather than fail. Not where there are no
   * hard links: there the full disk's error stands.
   */
  readonly holdWhenFull?: boolean | undefined;
  /** Who holds the lock, for the hint of a wait given up. Default: another kontext run writing the lock file. */
  readonly heldBy?: string | undefined;
}

/** A live holder as a waiter is told of it. */
interface HolderSeen {
  readonly pid: number | undefined;
  /** Its tag or place names another machine, boot or container, where its pid cannot be checked. */
  readonly elsewhere: boolean;
  /** The host name of the machine it runs on, when it is another machine and wrote it. */
  readonly host?: string | undefined;
}

interface Holder {
  readonly raw: string;
  /** Of the file as read: what tells two lock files apart when neither names its holder. */
  readonly mtimeMs: number;
  readonly pid: number | undefined;
  /** The holder's process tag (util/process-tag.ts), when it wrote one. */
  readonly proc: string | undefined;
  /** Where it runs against us (util/process-tag.ts `placeOf`), and its host name, when it wrote them. */
  readonly where?: ReturnType<typeof placeOf> | undefined;
  readonly host?: string | undefined;
  readonly createdAt: number;
  readonly token: string | undefined;
  /** Its text names its holder (a token), or a temp linked to it does (an empty hold, `holdWhenFull`). */
  readonly named: boolean;
  /** The temp an empty hold's `.lck` is linked to (its name tells the holder). */
  readonly via?: string | undefined;
}

/** What a holder keeps until its release: its token, and the temp of an empty hold. */
interface Held {
  readonly token: string;
  readonly via?: string | undefined;
}

/**
 * A `.lck` that names no holder and was last written this long ago is a crash's leftover: a live
 * holder's is written before it is linked, or (no hard links) written right after its create.
 */
const EMPTY_STALE_MS = 5_000;

/** Take `<file>.lck` and return its release; for a lock held longer than one call. */
export async function acquireFileMutex(file: string, options: FileMutexOptions = {}): Promise<() => Promise<void>> {
  const lck = `${file}.lck`;
  const held = await acquire(lck, options);
  return () => release(lck, held);
}

/** Run `fn` while holding `<file>.lck`; the lock is released however `fn` ends. */
export async function withFileMutex<T>(file: string, fn: () => Promise<T>, options: FileMutexOptions = {}): Promise<T> {
  const lck = `${file}.lck`;
  const held = await acquire(lck, options);
  try {
    return await fn();
  } finally {
    await release(lck, held);
  }
}

/** The back-off step at which a holder whose content is still unreadable is reported without a pid (~60 ms). */
const UNREADABLE_ROUNDS_WAIT = 64;

async function acquire(lck: string, options: FileMutexOptions): Promise<Held> {
  const now = options.now ?? Date.now;
  const { signal } = options;
  const sleep = options.sleep ?? ((ms: number) => delay(ms, undefined, { signal }));
  const token = randomBytes(12).toString('hex');
  const deadline = now() + (options.timeoutMs ?? 15_000);
  let told = false;
  let vanished = 0;
  for (let wait = 4, round = 0; ; wait = Math.min(wait * 2, 64), round++) {
    if (signal?.aborted) throw signal.reason;
    // After the first try, a lock still there is only looked at: a waiter writes no temp per poll
    // (a run waiting hours behind a watch would churn the project folder ten times a second).
    let holder = round === 0 ? null : await readHolder(lck);
    if (holder === null) {
      const place = processPlace ?? undefined;
      const text = JSON.stringify({ pid: options.pid ?? null, proc: processTag, place, created_at: now(), token });
      const held = await withParentDir(lck, () => tryCreate(lck, text, options.holdWhenFull === true));
      if (held !== null) return acquired(lck, { token, via: held.via });
      holder = await readHolder(lck);
      // Released between our attempt and our look: try again at once, a few times; a name that
      // is taken yet never readable is waited on as a held lock is, not spun on; a symbolic link is refused.
      if (holder === null && ++vanished <= VANISHED_RETRIES) continue;
      if (holder === null) {
        // A symbolic link there is none of ours (kontext makes files): waited on, a run lock hung (walk-p).
        if (now() > deadline || (await isLink(lck)))
          throw new LockBusyError(`${lck} cannot be taken: the name is there but cannot be read (a link to nothing?)`, {
            hint: `delete ${lck} if no kontext process is running`,
          });
        await pause(sleep, wait, signal);
        continue;
      }
      // Our own link after all (a network file system answering a retransmitted link with EEXIST).
      if (holder.token === token) return acquired(lck, { token });
    }
    if (isStale(holder, now(), options)) {
      await breakStale(lck, holder, token);
      continue;
    }
    // A holder's file may exist a moment before its content (created in place, then written,
    // where there are no hard links): tell who holds the lock once its pid can be read, or once
    // it has stayed unreadable for a few rounds.
    if (!told && (holder.pid !== undefined || wait >= UNREADABLE_ROUNDS_WAIT)) {
      told = true;
      const otherMachine = holder.where === 'other-machine';
      const elsewhere = otherMachine || (holder.proc !== undefined && tagIsElsewhere(holder.proc));
      options.onWait?.({ pid: holder.pid, elsewhere, host: otherMachine ? holder.host : undefined });
    }
    // One that names no holder goes stale EMPTY_STALE_MS after its last write: waited for that long too.
    if (now() > deadline + (holder.named ? 0 : EMPTY_STALE_MS)) {
      const who = holder.pid === undefined ? 'another process' : `process ${holder.pid}`;
      const heldBy = options.heldBy ?? 'another kontext run is writing this lock file';
      throw new LockBusyError(`${lck} is held by ${who}; gave up waiting`, {
        hint: `${heldBy}; if none is running, delete ${lck}`,
      });
    }
    vanished = 0;
    await pause(sleep, wait, signal);
  }
}

/** Lock names found taken and then gone, in a row, before a waiter pauses as for a held lock. */
const VANISHED_RETRIES = 3;

/** A waiter's pause; an abort ends it at once (Ctrl-C while another run holds the lock), with its reason. */
async function pause(
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>,
  wait: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  await sleep(wait + randomInt(0, wait), signal).catch((e: unknown) => {
    throw signal?.aborted ? signal.reason : e;
  });
}

/** A lock just taken: a holder killed between its temp and the link left the temp, gone once its writer is dead. */
async function acquired(lck: string, held: Held): Promise<Held> {
  await sweepDeadTempsOnce(dirname(lck));
  return held;
}

/** Whether `path` is itself a symbolic link (not what it points at). */
async function isLink(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isSymbolicLink();
  } catch {
    return false;
  }
}

/** `null` when there is no lock file. Unparsable content (a holder mid-write) ages by mtime. */
async function readHolder(lck: string): Promise<Holder | null> {
  try {
    const [raw, s] = await retryFdLimit(() => Promise.all([readBoundedText(lck, READ_CAPS.mutex), stat(lck)]));
    try {
      const data = JSON.parse(raw) as {
        pid?: unknown;
        proc?: unknown;
        place?: { host?: unknown } | null;
        created_at?: unknown;
        token?: unknown;
      };
      const pid = typeof data.pid === 'number' ? data.pid : undefined;
      const proc = typeof data.proc === 'string' && data.proc !== '' ? data.proc : undefined;
      const createdAt = typeof data.created_at === 'number' ? data.created_at : s.mtimeMs;
      const token = typeof data.token === 'string' ? data.token : undefined;
      const where = placeOf(data.place);
      const host =
        typeof data.place?.host === 'string' ? data.place.host.replace(/[^\x21-\x7e]/g, '').slice(0, 64) : undefined;
      return { raw, mtimeMs: s.mtimeMs, pid, proc, where, host, createdAt, token, named: token !== undefined };
    } catch {
      // An empty hold on a full disk (holdEmpty) is named by the temp linked to it.
      const via = raw === '' && s.nlink > 1 ? await linkedTemp(lck, s) : undefined;
      const writer = via === undefined ? null : writerOf(basename(via).slice(0, -'.tmp'.length));
      const base = { raw, mtimeMs: s.mtimeMs, createdAt: s.mtimeMs, token: undefined };
      return { ...base, pid: writer?.pid, proc: writer?.tag, named: via !== undefined, via };
    }
  } catch (e) {
    if (isCode(e, 'ENOENT')) return null;
    throw e;
  }
}

/** The temp file beside `lck` that is the same file (`s`: the lock's stat), if any. */
async function linkedTemp(lck: string, s: Stats): Promise<string | undefined> {
  const dir = dirname(lck);
  for (const name of await readdir(dir).catch(() => [])) {
    if (!isTempName(name) || !name.startsWith(`.${basename(lck).slice(0, 16)}`)) continue;
    const t = await stat(join(dir, name)).catch(() => null);
    if (t !== null && t.ino === s.ino && t.dev === s.dev) return join(dir, name);
  }
  return undefined;
}

function isStale(holder: Holder, nowMs: number, options: FileMutexOptions): boolean {
  if (!holder.named && nowMs - holder.mtimeMs > EMPTY_STALE_MS) return true;
  if (nowMs - holder.createdAt > (options.staleMs ?? 30_000)) return true;
  // Its machine booted since: no process of that boot runs. Another machine's pid means nothing
  // here: its process may well be running (a project folder two machines share), so it is waited for.
  if (holder.where === 'other-boot') return true;
  if (holder.where === 'other-machine') return false;
  const { pid, proc } = holder;
  if (pid === undefined) return false;
  // A pid reused since, in this boot (even ours): the holder's tag has another start time; without
  // a tag (an older kontext's holder), the process with that pid started after the file was made.
  if (proc !== undefined && tagIsDead(proc, pid)) return true;
  if (proc === undefined && pid !== options.pid && startedAfter(pid, holder.createdAt)) return true;
  return pid !== options.pid && options.isAlive !== undefined && !options.isAlive(pid);
}

/**
 * Move the stale lock (`stale`: its text and mtime when judged) aside instead of deleting it,
 * then check we moved the one we judged: if another waiter already replaced it with a live lock,
 * put that one back (unless a newer one is there already). Texts tell two locks apart unless
 * neither names a holder (a lock left empty by a crash between create and write, and a live one
 * not yet written or an empty hold): then the mtime does, the stale one's being older than
 * {@link EMPTY_STALE_MS} (or `staleMs`) by definition. Exported for tests.
 */
export async function breakStale(
  lck: string,
  stale: Pick<Holder, 'raw' | 'mtimeMs'> & { readonly via?: string | undefined },
  token: string,
): Promise<void> {
  const aside = `${lck}.${token}.stale`;
  try {
    await rename(lck, aside);
  } catch (e) {
    if (isCode(e, 'ENOENT')) return;
    throw e;
  }
  const moved = await readBoundedText(aside, READ_CAPS.mutex).catch(() => stale.raw);
  if (moved !== stale.raw || (!namesHolder(moved) && !(await sameMtime(aside, stale.mtimeMs))))
    await putBack(aside, lck, moved).catch(() => undefined);
  // The stale one was an empty hold (holdEmpty): its temp goes with it.
  else if (stale.via !== undefined) await rm(stale.via, { force: true });
  await rm(aside, { force: true });
}

/** Whether `path` was last modified at `mtimeMs` (a file that cannot be read is taken as the same). */
async function sameMtime(path: string, mtimeMs: number): Promise<boolean> {
  return stat(path).then(
    (s) => s.mtimeMs === mtimeMs,
    () => true,
  );
}

/** How long a put-back waits for the text of a live lock moved aside before its holder wrote it. */
const UNWRITTEN_WAIT_MS = 50;

/**
 * A live lock moved aside by mistake, back under its name unless another is there now: by a hard
 * link, or where there are none (exFAT, FAT, many network shares: link(2) says EPERM) created
 * anew with its text, exclusively, and removed again should its write fail (never left empty).
 * Created anew, it needs the holder's whole text: a lock moved between its holder's create and
 * write (tryCreate) is read again for a few tens of ms until it names its holder (put back empty,
 * it named no pid and its holder's release would not remove it: waiters timed out).
 */
async function putBack(aside: string, lck: string, moved: string): Promise<void> {
  try {
    await link(aside, lck);
    return;
  } catch (e) {
    if (!isCode(e, ...NO_HARD_LINKS)) return; // EEXIST: a newer lock is there; it stays
  }
  await writeNew(lck, await holderText(aside, moved));
}

/** The text of the lock moved to `aside` once it names its holder (a token), else after {@link UNWRITTEN_WAIT_MS}. */
async function holderText(aside: string, moved: string): Promise<string> {
  const until = Date.now() + UNWRITTEN_WAIT_MS;
  let text = moved;
  while (!namesHolder(text) && Date.now() < until) {
    await delay(2);
    text = await readBoundedText(aside, READ_CAPS.mutex).catch(() => text);
  }
  return text;
}

function namesHolder(text: string): boolean {
  try {
    return typeof (JSON.parse(text) as { token?: unknown } | null)?.token === 'string';
  } catch {
    return false;
  }
}

async function release(lck: string, held: Held): Promise<void> {
  if (held.via !== undefined) {
    // An empty hold: ours while the `.lck` is still the temp's file (the same inode).
    const [mine, now] = await Promise.all([stat(held.via).catch(() => null), stat(lck).catch(() => null)]);
    if (mine !== null && now !== null && mine.ino === now.ino && mine.dev === now.dev) await rm(lck, { force: true });
    await rm(held.via, { force: true });
    return;
  }
  // Someone judged us stale and took over: their lock is not ours to remove. (Our own content
  // is complete JSON naming the token, so the text alone tells; no stat needed.)
  const raw = await retryFdLimit(() => readBoundedText(lck, READ_CAPS.mutex)).catch(() => '');
  if (raw.includes(`"token":"${held.token}"`)) await rm(lck, { force: true });
}
