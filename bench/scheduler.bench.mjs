#!/usr/bin/env node
// Issue 4 target: emulator with a fixed 200 ms per request; 100 glob instances × 3 chained
// passes at -j 16 → makespan within 10 % of the ideal schedule for that DAG and limit.
// The ideal is computed here (Hu's algorithm: optimal for unit-time in-forests such as these
// chains). Polling is part of the provider, not the scheduler: the main figure uses a 10 ms
// poll (what a loopback emulator allows); the default in-process policy is printed too.
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { createRuntime, runRecipe, startEmulator } from '../dist/index.js';
import { createRunComfyProvider } from '../dist/providers/runcomfy/client.js';
import { row, tempProject, write } from './lib.mjs';

const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 100);
const PASSES = 3;
const JOBS = 16;
const RUN_MS = 200;

/** Hu's algorithm on `chains` equal chains of `len` unit tasks with `m` machines. */
function idealMakespan(chains, len, m, unitMs) {
  const remaining = Array(chains).fill(len);
  let steps = 0;
  while (remaining.some((r) => r > 0)) {
    const ready = remaining.map((r, i) => [r, i]).filter(([r]) => r > 0).sort((a, b) => b[0] - a[0]).slice(0, m);
    for (const [, i] of ready) remaining[i]--;
    steps++;
  }
  return steps * unitMs;
}

async function makeProject(tag) {
  const dir = tempProject(`sched-${tag}`);
  for (let i = 0; i < INSTANCES; i++) {
    const png = await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: i % 256, g: (i * 7) % 256, b: 90 } } }).png().toBuffer();
    write(join(dir, 'in', `item-${String(i).padStart(3, '0')}.png`), png);
  }
  const passes = Array.from({ length: PASSES }, (_, k) => `  - id: pass-${k + 1}\n    prompt: Keep the object unchanged. Replace the background with color ${k + 1}.\n`).join('');
  write(join(dir, 'r.yml'), `version: 1\nprovider: runcomfy\nhosting: { mode: inline }\ndefaults: { seed: 7 }\nsources:\n  items: "in/*.png"\npasses:\n${passes}`);
  return dir;
}

// The emulator stands for the remote API: it gets its own process, as the real one would.
if (process.argv[2] === '--emulator') {
  const emulator = await startEmulator({ queueMs: 0, runMs: RUN_MS });
  const cpu0 = process.cpuUsage();
  process.send({ baseUrl: emulator.baseUrl });
  process.on('message', async () => {
    const cpu = process.cpuUsage(cpu0);
    const log = emulator.requestLog().filter((e) => !e.internal);
    await emulator.close();
    process.send({ cpuMs: (cpu.user + cpu.system) / 1000, replyMs: replyTimes(log), polls: log.filter((e) => e.path.endsWith('/status')).length }, () => process.exit(0));
  });
  await new Promise(() => {});
}

/** Mean time the emulator took to reply, per kind of call (its share of each node's latency). */
function replyTimes(log) {
  const kinds = { submit: (e) => e.method === 'POST' && !e.path.endsWith('/cancel'), status: (e) => e.path.endsWith('/status'), result: (e) => e.path.endsWith('/result'), download: (e) => e.method === 'GET' && !e.path.startsWith('/v1/') };
  return Object.fromEntries(Object.entries(kinds).map(([k, f]) => {
    const xs = log.filter(f).map((e) => e.ms);
    return [k, xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0];
  }));
}

function startEmulatorProcess() {
  const child = fork(fileURLToPath(import.meta.url), ['--emulator'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve) => {
    child.once('message', (m) => resolve({ baseUrl: m.baseUrl, close: () => new Promise((r) => { child.once('message', (end) => r(end)); child.send('stop'); }) }));
  });
}

async function measure(tag, poll) {
  const emulator = await startEmulatorProcess();
  const dir = await makeProject(tag);
  const rt = createRuntime({ cwd: dir, env: { HOME: dir } });
  const provider = createRunComfyProvider({ baseUrl: emulator.baseUrl, token: 'bench', rt, allowHosts: ['127.0.0.1'], ...(poll ? { poll } : {}) });
  const session = { name: 'runcomfy', provider, defaultHosting: null, secrets: [], warnings: [], close: () => provider.close() };
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const result = await runRecipe('r.yml', { jobs: JOBS }, { rt, onEvent: () => {}, pid: process.pid, isAlive: () => true, session });
  const ms = performance.now() - t0;
  const elu = performance.eventLoopUtilization(elu0).utilization;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  await provider.close();
  const { cpuMs: emulatorCpuMs, replyMs, polls } = await emulator.close();
  if (result.kind !== 'run' || result.summary.exitCode !== 0) throw new Error(`run failed: ${JSON.stringify(result.kind === 'run' ? result.summary : result)}`);
  return { ms, cpuMs, emulatorCpuMs, elu, replyMs, polls, submitted: result.summary.submitted };
}

// Where the time goes on a small machine: both processes share its cores.
const N = INSTANCES * PASSES;
const perNode = (r) =>
  `${(r.cpuMs / N).toFixed(1)} ms (emulator process ${(r.emulatorCpuMs / N).toFixed(1)} ms), ${(r.polls / N).toFixed(1)} polls; client event loop ${(r.elu * 100).toFixed(0)} % busy`;
const replies = (r) => Object.entries(r.replyMs).map(([k, ms]) => `${k} ${ms.toFixed(1)}`).join(', ') + ' ms';

const ideal = idealMakespan(INSTANCES, PASSES, JOBS, RUN_MS);
// BENCH_POLICY=fast|default runs one of the two (e.g. under --cpu-prof).
const only = process.env.BENCH_POLICY;
console.log(`${INSTANCES} instances × ${PASSES} chained passes = ${INSTANCES * PASSES} requests of ${RUN_MS} ms at -j ${JOBS}`);
row('ideal makespan (Hu)', '-', `${ideal} ms`);
if (only !== 'default') {
  const fast = await measure('fast', { firstDelayMs: 10, factor: 1, maxDelayMs: 10 });
  row('makespan, 10 ms polls', '≤ 1.10 × ideal', `${fast.ms.toFixed(0)} ms = ${(fast.ms / ideal).toFixed(3)} × ideal`, fast.ms / ideal <= 1.1);
  row('  CPU per node: client', '-', perNode(fast));
  row('  emulator reply time (mean)', '-', replies(fast));
}
if (only !== 'fast') {
  const dflt = await measure('default', { firstDelayMs: 50, factor: 1.3, maxDelayMs: 250 });
  row('makespan, in-process emulator poll policy (50→250 ms)', '-', `${dflt.ms.toFixed(0)} ms = ${(dflt.ms / ideal).toFixed(3)} × ideal`);
  row('  CPU per node: client', '-', perNode(dflt));
  row('  emulator reply time (mean)', '-', replies(dflt));
}
