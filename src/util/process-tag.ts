/**
 * Who wrote a temp file. Temp names carry their writer's tag (util/unique-suffix.ts):
 * `p<pid>t<start>h<host>`, pid and start in decimal (so neither holds a `t` or an `h` and the
 * tag parses one way only), where `start` is the process's start time in clock ticks
 * since boot (/proc/<pid>/stat) and `host` hashes the boot id and the pid namespace. A temp whose
 * tag has our `host` names a process of this machine, this boot and our pid namespace, so its
 * pid can be checked: no such process, or one that started at another time (the pid was reused),
 * or a zombie, means the writer is dead and its temp is a crash's leftover. Anything else (another
 * machine sharing the cache, another container, an old name without a tag, a system without
 * /proc) cannot be judged here and is left to the age rule (store/atomic.ts `STALE_TEMP_MS`).
 * Never wrong in the dangerous direction: a live writer's temp is never called dead (but see
 * {@link startedAfter}, for holders without a tag).
 */
import { createHash } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

interface Tag {
  readonly pid: number;
  readonly start: number;
  readonly host: string;
}

/** The start time (clock ticks since boot) and state of process `pid`, or null when unreadable. */
function procStat(pid: number | 'self'): { start: number; state: string } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The name (field 2) is in parentheses and may hold spaces or ')': fields after the last ')'.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); field 22 (starttime) is rest[19].
    const start = Number(rest[19]);
    return Number.isSafeInteger(start) && rest[0] ? { start, state: rest[0] } : null;
  } catch {
    return null;
  }
}

const hash8 = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 8);

function ownTag(): Tag | null {
  try {
    const self = procStat('self');
    if (self === null) return null;
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();
    const ns = readlinkSync('/proc/self/ns/pid');
    const host = hash8(`${boot}\n${ns}`);
    return { pid: process.pid, start: self.start, host };
  } catch {
    return null;
  }
}

const own = ownTag();

/** This process's tag for temp names (`p…t…h…`), or '' where it cannot be made (no /proc). */
export const processTag: string = own === null ? '' : `p${own.pid}t${own.start}h${own.host}`;

const TAG = /(?:^|[^0-9a-z])p(\d{1,10})t(\d{1,20})h([0-9a-f]{8})_[0-9a-f]+-[0-9a-z]+$/;

/**
 * Whether the temp file `name` was written by a process that is provably dead (see the header).
 * `name` is a temp's name without its final `.tmp` / `.part`, ending in the writer's suffix.
 */
export function writerIsDead(name: string): boolean {
  const m = TAG.exec(name);
  return m !== null && isDead(Number(m[1]), Number(m[2]), m[3] ?? '');
}

/**
 * The writer of the temp file `name` (as {@link writerIsDead} takes it): its pid and tag (`p…t…h…`,
 * what {@link tagIsDead} checks), or null when the name carries none.
 */
export function writerOf(name: string): { readonly pid: number; readonly tag: string } | null {
  const m = TAG.exec(name);
  return m === null ? null : { pid: Number(m[1]), tag: `p${m[1]}t${m[2]}h${m[3]}` };
}

/**
 * Whether the process of `tag` ({@link processTag} as some process wrote it, e.g. into a journal
 * entry beside its `pid`) is provably dead: a pid alive now is another process when its start
 * time differs (the pid was reused, after a reboot say). False when `tag` does not name `pid`.
 */
export function tagIsDead(tag: string, pid: number): boolean {
  const m = /^p(\d{1,10})t(\d{1,20})h([0-9a-f]{8})$/.exec(tag);
  return m !== null && Number(m[1]) === pid && isDead(pid, Number(m[2]), m[3] ?? '');
}

/**
 * Whether `tag` names a process of another machine, boot or pid namespace (a container) than
 * ours: its pid means nothing here, and whether it is alive cannot be told from here.
 */
export function tagIsElsewhere(tag: string): boolean {
  const m = /^p\d{1,10}t\d{1,20}h([0-9a-f]{8})$/.exec(tag);
  return m !== null && own !== null && m[1] !== own.host;
}

function isDead(pid: number, start: number, host: string): boolean {
  if (own === null || host !== own.host) return false;
  if (pid === own.pid) return start !== own.start;
  try {
    process.kill(pid, 0);
  } catch (e) {
    // Only ESRCH says there is no such process (EPERM: one, someone else's: its start time decides).
    if ((e as { code?: unknown }).code === 'ESRCH') return true;
  }
  const now = procStat(pid);
  // Alive as far as kill can tell; /proc hidden from us (hidepid): we cannot tell it is not ours.
  if (now === null) return false;
  return now.start !== start || now.state === 'Z';
}

/** Clock ticks a second in /proc's start times (USER_HZ: 100 on Linux, whatever the kernel's HZ). */
const TICKS_PER_S = 100;

/** When this boot began (ms since the epoch: /proc/stat's btime), or null without /proc. */
function bootMs(): number | null {
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'latin1'));
    return m ? Number(m[1]) * 1000 : null;
  } catch {
    return null;
  }
}

/**
 * How much later than `ms` a process must have started to be called another: a wall clock
 * stepped by less than this between a write and now cannot make its writer look younger.
 */
const STARTED_AFTER_SLACK_MS = 60_000;

/**
 * Whether the process that has `pid` now started after `ms` (ms since the epoch), by more than
 * {@link STARTED_AFTER_SLACK_MS}: then it is not the one that wrote something at `ms` (a holder
 * without a tag, an older kontext's: its pid was reused since, after a reboot say). False when
 * it cannot be told: no such process, no /proc, no time, or a clock stepped since this process
 * began (btime, which moves with the wall clock, no longer gives this process's own start). A
 * clock stepped forward by more than the slack before this process began, and a holder of
 * another pid namespace (an older kontext in a container sharing the cache), can still mislead it.
 */
export function startedAfter(pid: number, ms: number): boolean {
  const now = procStat(pid);
  const boot = bootMs();
  if (now === null || boot === null || own === null || !Number.isFinite(ms)) return false;
  const ownStart = boot + (own.start / TICKS_PER_S) * 1000;
  // btime is cut to whole seconds and Node starts after its process: ownStart comes a little early.
  const skew = ownStart - performance.timeOrigin;
  if (skew < -6_000 || skew > 1_000) return false;
  return boot + (now.start / TICKS_PER_S) * 1000 > ms + STARTED_AFTER_SLACK_MS;
}

/**
 * Where a process runs, written beside its tag into a lock's holder text: its machine (a hash of
 * the machine id, /etc/machine-id, and the host name: a container is named by its host name,
 * kept across its restarts, while containers of one image share the machine id), the host name
 * itself (for messages) and its boot (a hash of the boot id). The tag's `host` mixes the boot with
 * the pid namespace and so cannot tell a reboot of this machine from another machine.
 */
export interface Place {
  readonly machine: string;
  readonly host: string;
  readonly boot: string;
}

function ownPlace(): Place | null {
  const id = ['/etc/machine-id', '/var/lib/dbus/machine-id']
    .map((f) => {
      try {
        return readFileSync(f, 'latin1').trim();
      } catch {
        return '';
      }
    })
    .find((text) => text !== '');
  try {
    const host = hostname();
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();
    return id === undefined || host === '' || boot === ''
      ? null
      : { machine: hash8(`${id}\n${host}`), host, boot: hash8(boot) };
  } catch {
    return null;
  }
}

/** This process's place, or null where it cannot be known (no machine id, no /proc). */
export const processPlace: Place | null = ownPlace();

/**
 * How `place` (as some process wrote it, {@link processPlace}) stands to ours: `here` (this
 * kernel's boot: this machine, perhaps another container or host name), `other-boot` (another
 * boot of this machine: no process of that boot runs), `other-machine` (another boot and
 * another machine: its pid cannot be checked from here, and its process may well be running),
 * or `unknown` (not written, or ours cannot be known).
 */
export function placeOf(place: unknown): 'here' | 'other-boot' | 'other-machine' | 'unknown' {
  if (processPlace === null || typeof place !== 'object' || place === null) return 'unknown';
  const { machine, boot } = place as { machine?: unknown; boot?: unknown };
  if (typeof machine !== 'string' || typeof boot !== 'string') return 'unknown';
  // The boot id is random per boot and shared by every container of one kernel: the same boot is
  // this kernel, whatever host name a container or a rename gave the holder (the tag decides then).
  if (boot === processPlace.boot) return 'here';
  return machine === processPlace.machine ? 'other-boot' : 'other-machine';
}
