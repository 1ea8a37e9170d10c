// Small helpers shared by the benchmarks (not a test framework: figures are printed, not judged).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The CLI under test (`BENCH_BIN`: another build, e.g. to measure a "before"). */
export const bin = process.env.BENCH_BIN ?? join(root, 'dist', 'cli', 'bin.js');

/** A temp project folder (with `.git`, so it is the project root). */
export function tempProject(name) {
  const dir = mkdtempSync(join(tmpdir(), `kontext-bench-${name}-`));
  mkdirSync(join(dir, '.git'));
  return dir;
}

/**
 * The filesystem the bench's temp projects live on (Linux: from /proc/self/mountinfo), e.g.
 * `ext4 on /dev/vda, no journal`, or null elsewhere. Creating files is the cost of adopting a
 * deleted cache, and on ext4 *without* a journal it depends on what was deleted lately: the
 * inode allocator then passes over every inode freed in the last minutes (the kernel's
 * `recently_deleted`, checked only when there is no journal), ~0.1-0.4 ms per new file after an
 * `rm -rf` of thousands. Point TMPDIR at another filesystem to compare.
 */
export function benchFilesystem() {
  try {
    const dir = realpathSync(tmpdir());
    let best = null;
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const [left, right] = line.split(' - ');
      const mountPoint = left?.split(' ')[4];
      if (!mountPoint || !right) continue;
      const inside = dir === mountPoint || dir.startsWith(mountPoint === '/' ? '/' : `${mountPoint}/`);
      if (inside && (best === null || mountPoint.length > best.mountPoint.length)) {
        const [type, source] = right.split(' ');
        best = { mountPoint, type, source };
      }
    }
    if (best === null) return null;
    let journal = '';
    if (best.type === 'ext4') {
      const task = readFileSync(`/sys/fs/ext4/${basename(best.source)}/journal_task`, 'utf8').trim();
      journal = task === '<none>' ? ', no journal' : ', journaled';
    }
    return `${best.type} on ${best.source}${journal} (${dir})`;
  } catch {
    return null;
  }
}

export function write(path, text) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Benchmarks never touch the real ~/.cache: the user cache lives in the project unless set. */
function withBenchCache(options) {
  const env = options.env ?? process.env;
  if (env.KONTEXT_CACHE_DIR) return options;
  return { ...options, env: { ...env, KONTEXT_CACHE_DIR: join(options.cwd ?? process.cwd(), '.bench-cache') } };
}

/** Wall time (ms) and max RSS (MB, via /usr/bin/time when present) of one CLI invocation. */
export function timeCli(args, options = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    ...withBenchCache(options),
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function maxRssMb(args, options = {}) {
  return rusage(args, options)?.rssMb ?? null;
}

/**
 * Max RSS (MB) and CPU time (user + system, ms) of one CLI invocation via /usr/bin/time, or
 * null without it. CPU time moves far less than wall time when the machine is shared.
 */
export function rusage(args, options = {}) {
  const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', process.execPath, bin, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    ...withBenchCache(options),
  });
  if (r.error) return null;
  const [kb, user, sys] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  if (![kb, user, sys].every(Number.isFinite)) return null;
  return { rssMb: kb / 1024, cpuMs: (user + sys) * 1000, status: r.status, stderr: r.stderr };
}

export function row(label, target, measured, ok) {
  let mark = '';
  if (ok !== undefined) mark = ok ? '  ok' : '  MISSED';
  console.log(`${label.padEnd(58)} ${String(target).padEnd(14)} ${measured}${mark}`);
}
