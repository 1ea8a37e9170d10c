#!/usr/bin/env node
// Issue 13 target: 10,000 nodes (2,500 images × 4 chained passes), 2 s emulated jobs, `-j 64`:
// makespan <= 1.05 × the ideal schedule; client peak RSS <= 300 MB; client CPU per node printed.
// The client is the real CLI (`kontext run --json`, provider runcomfy, inline hosting) and the
// API is `kontext emulator` in a process of its own, so the RSS and CPU figures are the
// client's alone. The TTY and plain views are measured by replaying the run's own events into
// them (a bench has no terminal). BENCH_SCALE_INSTANCES=250 runs a tenth of it; BENCH_SCALE_RUN_MS=0
// and BENCH_SCALE_JOBS=32 make the API faster than the client (walk-t 6's case).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { bin, row, tempProject, write } from './lib.mjs';

const INSTANCES = Number(process.env.BENCH_SCALE_INSTANCES ?? 2500);
const PASSES = 4;
const JOBS = Number(process.env.BENCH_SCALE_JOBS ?? 64);
const RUN_MS = Number(process.env.BENCH_SCALE_RUN_MS ?? 2000);
const N = INSTANCES * PASSES;

/** Hu's algorithm for equal chains: each step runs the `m` chains with the most work left. */
function idealMakespan(chains, len, m, unitMs) {
  const remaining = Array(chains).fill(len);
  let steps = 0;
  while (remaining.some((r) => r > 0)) {
    remaining.sort((a, b) => b - a);
    for (let i = 0; i < Math.min(m, remaining.length) && remaining[i] > 0; i++) remaining[i]--;
    steps++;
  }
  return steps * unitMs;
}

async function makeProject() {
  const dir = tempProject(`scale-${INSTANCES}x${PASSES}`);
  for (let i = 0; i < INSTANCES; i++) {
    const background = { r: i % 256, g: Math.floor(i / 256) % 256, b: 90 };
    const png = await sharp({ create: { width: 16, height: 16, channels: 3, background } })
      .png()
      .toBuffer();
    write(join(dir, 'in', `item-${String(i).padStart(5, '0')}.png`), png);
  }
  const passes = Array.from(
    { length: PASSES },
    (_, k) =>
      `  - id: pass-${k + 1}\n    prompt: Keep the object unchanged. Replace the background with color ${k + 1}.\n`,
  ).join('');
  write(
    join(dir, 'r.yml'),
    'version: 1\nprovider: runcomfy\nhosting: { mode: inline }\ndefaults: { seed: 7 }\nsources:\n' +
      `  items: "in/*.png"\npasses:\n${passes}`,
  );
  return dir;
}

/** `kontext emulator` on an ephemeral port, in its own process. */
function startEmulatorProcess() {
  const child = spawn(process.execPath, [bin, 'emulator', '--port', '0', '--queue-ms', '0', '--run-ms', `${RUN_MS}`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`emulator exited (${code}): ${out}`)));
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve({ child, baseUrl: m[1] });
    });
  });
}

/** CPU seconds a live process has used so far (Linux /proc), or null. */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks
  } catch {
    return null;
  }
}

/** The CLI run under /usr/bin/time: its NDJSON events, wall time, peak RSS and CPU. */
function runClient(dir, baseUrl) {
  const env = {
    ...process.env,
    RUNCOMFY_MODEL_API_BASE: baseUrl,
    KONTEXT_ALLOW_HOSTS: '127.0.0.1',
    RUNCOMFY_TOKEN: 'bench',
    KONTEXT_CACHE_DIR: join(dir, '.bench-cache'),
  };
  const timeFile = join(dir, 'time.txt');
  const args = ['-f', '%M %U %S', '-o', timeFile, process.execPath, bin, 'run', 'r.yml', '-j', `${JOBS}`, '--json'];
  const t0 = performance.now();
  const child = spawn('/usr/bin/time', args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks = [];
  let stderr = '';
  child.stdout.on('data', (d) => chunks.push(d));
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve) => {
    child.once('exit', (status) => {
      const ms = performance.now() - t0;
      const [rssKb, user, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
      const events = Buffer.concat(chunks)
        .toString('utf8')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      resolve({ status, stderr, ms, rssMb: rssKb / 1024, cpuMs: (user + sys) * 1000, events });
    });
  });
}

/** CPU time (ms) a reporter takes to show `events` (its clock and writes are real, the sink discards). */
async function replay(kind, events) {
  const { createReporter } = await import('../dist/cli/reporters/index.js');
  let bytes = 0;
  const sink = {
    isTTY: kind === 'tty',
    columns: 120,
    write: (s) => {
      bytes += s.length;
      return true;
    },
  };
  let tick = null;
  const timers = {
    setInterval: (fn) => {
      tick = fn;
      return 1;
    },
    clearInterval: () => {
      tick = null;
    },
  };
  const reporter = createReporter(kind, {
    out: sink,
    err: sink,
    color: kind === 'tty',
    now: () => performance.now(),
    columns: 120,
    rows: 40,
    explain: false,
    timers,
  });
  const draw = kind === 'tty' ? Math.max(1, Math.floor(events.length / 3000)) : 0; // ~a redraw per 0.1 s of the run
  const cpu0 = process.cpuUsage();
  for (const [i, e] of events.entries()) {
    reporter.onEvent(e);
    if (draw && i % draw === 0) tick?.();
  }
  reporter.close();
  const cpu = process.cpuUsage(cpu0);
  return { ms: (cpu.user + cpu.system) / 1000, bytes };
}

const ideal = idealMakespan(INSTANCES, PASSES, JOBS, RUN_MS);
console.log(`${INSTANCES} instances × ${PASSES} chained passes = ${N} requests of ${RUN_MS} ms at -j ${JOBS}`);
row('ideal makespan (Hu)', '-', `${(ideal / 1000).toFixed(1)} s`);
const dir = await makeProject();
const emulator = await startEmulatorProcess();
const emulatorCpu0 = cpuSeconds(emulator.child.pid);
const r = await runClient(dir, emulator.baseUrl);
const emulatorCpu = cpuSeconds(emulator.child.pid);
emulator.child.kill('SIGINT');
const summary = r.events.find((e) => e.type === 'run-summary');
if (r.status !== 0 || !summary || summary.done !== N)
  throw new Error(`run failed (exit ${r.status}): ${JSON.stringify(summary)} ${r.stderr.slice(-500)}`);
const firstSubmit = Math.min(
  ...r.events.filter((e) => e.type === 'node-state' && e.phase === 'submitting').map((e) => e.t),
);
const makespan = summary.t - firstSubmit;
row(
  'makespan (first submit → run done)',
  '≤ 1.05 × ideal',
  `${(makespan / 1000).toFixed(1)} s = ${(makespan / ideal).toFixed(3)} × ideal`,
  makespan / ideal <= 1.05,
);
row('  whole CLI process (+ start, load, hash, plan)', '-', `${(r.ms / 1000).toFixed(1)} s`);
row('  client peak RSS', '≤ 300 MB', `${r.rssMb.toFixed(0)} MB`, r.rssMb <= 300);
const emulatorPerNode =
  emulatorCpu === null || emulatorCpu0 === null
    ? ''
    : `; emulator process ${(((emulatorCpu - emulatorCpu0) * 1000) / N).toFixed(1)} ms`;
row(
  '  client CPU per node',
  '-',
  `${(r.cpuMs / N).toFixed(1)} ms (${(r.cpuMs / 1000).toFixed(1)} s in all)${emulatorPerNode}`,
);
row('  events', '-', `${r.events.length} (${(r.events.length / N).toFixed(1)} per node)`);
for (const kind of ['tty', 'plain']) {
  const v = await replay(kind, r.events);
  row(
    `  ${kind} view of those events (replayed)`,
    '-',
    `${v.ms.toFixed(0)} ms CPU = ${((v.ms * 1000) / N).toFixed(0)} µs per node, ${(v.bytes / 1024).toFixed(0)} KiB`,
  );
}
