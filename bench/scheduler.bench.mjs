#!/usr/bin/env node
// Issue 4 target: emulator with a fixed 200 ms per request; 100 glob instances × 3 chained
// passes at -j 16 → makespan within 10 % of the ideal schedule for that DAG and limit (issue 13:
// within 5 %, with the durable intent before every submit and the output checks).
// The ideal is computed here (Hu's algorithm: optimal for unit-time in-forests such as these
// chains). Polling is part of the provider, not the scheduler: the figure uses the poll policy
// `kontext run` uses with the built-in emulator (EMULATOR_POLL_POLICY; learned completion
// times then aim polls at the expected finish).
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { createRuntime, runRecipe, startEmulator } from '../dist/index.js';
import { createRunComfyProvider } from '../dist/providers/runcomfy/client.js';
import { EMULATOR_POLL_POLICY } from '../dist/providers/runcomfy/poll.js';
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
    const ready = remaining
      .map((r, i) => [r, i])
      .filter(([r]) => r > 0)
      .sort((a, b) => b[0] - a[0])
      .slice(0, m);
    for (const [, i] of ready) remaining[i]--;
    steps++;
  }
  return steps * unitMs;
}

async function makeProject(tag) {
  const dir = tempProject(`sched-${tag}`);
  for (let i = 0; i < INSTANCES; i++) {
    const png = await sharp({
      create: { width: 32, height: 32, channels: 3, background: { r: i % 256, g: (i * 7) % 256, b: 90 } },
    })
      .png()
      .toBuffer();
    write(join(dir, 'in', `item-${String(i).padStart(3, '0')}.png`), png);
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

// The emulator stands for the remote API: it gets its own process, as the real one would.
if (process.argv[2] === '--emulator') {
  const emulator = await startEmulator({ queueMs: 0, runMs: RUN_MS });
  // A hosted API is warm: take a few requests through it first, so its first jobs do not
  // carry its own start-up (JIT, sharp's first pipeline) into the client's first wave.
  await warmUp(emulator.baseUrl);
  const skip = emulator.requestLog().length;
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  process.send({ baseUrl: emulator.baseUrl });
  process.on('message', async () => {
    const cpu = process.cpuUsage(cpu0);
    const elu = performance.eventLoopUtilization(elu0).utilization;
    const log = emulator
      .requestLog()
      .slice(skip)
      .filter((e) => !e.internal);
    await emulator.close();
    const polls = log.filter((e) => e.path.endsWith('/status') || e.path.endsWith('/result')).length;
    process.send({ cpuMs: (cpu.user + cpu.system) / 1000, replyMs: replyTimes(log), polls, elu }, () =>
      process.exit(0),
    );
  });
  await new Promise(() => {});
}

/** Four edits through the emulator's own HTTP API, chained as in the bench. */
async function warmUp(baseUrl) {
  const png = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#808080' } })
    .png()
    .toBuffer();
  let imageUrl = `data:image/png;base64,${png.toString('base64')}`;
  const headers = { authorization: 'Bearer bench', 'content-type': 'application/json' };
  for (let i = 0; i < 4; i++) {
    const submit = await fetch(`${baseUrl}/models/blackforestlabs/flux-1-kontext/pro/edit`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ prompt: `warm up ${i}`, image_url: imageUrl, seed: i }),
    });
    const { request_id: id } = await submit.json();
    for (;;) {
      const result = await (await fetch(`${baseUrl}/requests/${id}/result`, { headers })).json();
      const url = JSON.stringify(result.output ?? '').match(/https?:[^"]+/)?.[0];
      if (url) {
        await (await fetch(url)).arrayBuffer();
        imageUrl = url;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Mean time the emulator took to reply, per kind of call (its share of each node's latency). */
function replyTimes(log) {
  const kinds = {
    submit: (e) => e.method === 'POST' && !e.path.endsWith('/cancel'),
    status: (e) => e.path.endsWith('/status'),
    result: (e) => e.path.endsWith('/result'),
    download: (e) => e.method === 'GET' && !e.path.startsWith('/v1/'),
  };
  return Object.fromEntries(
    Object.entries(kinds).map(([k, f]) => {
      const xs = log.filter(f).map((e) => e.ms);
      return [k, xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0];
    }),
  );
}

function startEmulatorProcess() {
  const child = fork(fileURLToPath(import.meta.url), ['--emulator'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve) => {
    child.once('message', (m) =>
      resolve({
        baseUrl: m.baseUrl,
        close: () =>
          new Promise((r) => {
            child.once('message', (end) => r(end));
            child.send('stop');
          }),
      }),
    );
  });
}

async function measure(tag, poll) {
  const emulator = await startEmulatorProcess();
  const dir = await makeProject(tag);
  const rt = createRuntime({ cwd: dir, env: { HOME: dir } });
  const calls = [];
  const provider = timed(
    createRunComfyProvider({
      baseUrl: emulator.baseUrl,
      token: 'bench',
      rt,
      allowHosts: ['127.0.0.1'],
      ...(poll ? { poll } : {}),
    }),
    calls,
  );
  const session = {
    name: 'runcomfy',
    provider,
    warnings: [],
    close: () => provider.close(),
  };
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const timeline = new Map();
  const onEvent = (e) => {
    if (!e.node) return;
    const t = timeline.get(e.node) ?? timeline.set(e.node, {}).get(e.node);
    const mark = e.type === 'node-state' ? e.phase : e.type;
    t[mark] ??= performance.now();
    if (mark === 'downloading') t.downloaded = performance.now();
  };
  const result = await runRecipe('r.yml', { jobs: JOBS }, { rt, onEvent, session });
  const ms = performance.now() - t0;
  const elu = performance.eventLoopUtilization(elu0).utilization;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  await provider.close();
  const { cpuMs: emulatorCpuMs, replyMs, polls, elu: emulatorElu } = await emulator.close();
  if (result.kind !== 'run' || result.summary.exitCode !== 0)
    throw new Error(`run failed: ${JSON.stringify(result.kind === 'run' ? result.summary : result)}`);
  const nodes = [...timeline.values()];
  const edges = {
    'start → first submit': Math.min(...nodes.map((t) => t.submitting)) - t0,
    'last job done → end': t0 + ms - Math.max(...nodes.map((t) => t.downloading)),
  };
  return {
    ms,
    cpuMs,
    emulatorCpuMs,
    elu,
    emulatorElu,
    replyMs,
    polls,
    submitted: result.summary.submitted,
    phases: phases(nodes, ms),
    calls: meanCalls(calls),
    edges,
  };
}

/** The same provider, timing its calls (submit, wait = the job plus its detection, download). */
function timed(provider, calls) {
  const wrap =
    (name, f) =>
    async (...args) => {
      const t = performance.now();
      try {
        return await f(...args);
      } finally {
        calls.push([name, performance.now() - t]);
      }
    };
  return {
    ...provider,
    submit: wrap('submit', provider.submit),
    wait: wrap('wait', provider.wait),
    download: wrap('download', provider.download),
  };
}

function meanCalls(calls) {
  const sums = {};
  for (const [name, ms] of calls) (sums[name] ??= []).push(ms);
  return Object.fromEntries(Object.entries(sums).map(([k, xs]) => [k, xs.reduce((a, b) => a + b, 0) / xs.length]));
}

/** Mean time per node in each stretch of its life, and how busy the -j slots were. */
function phases(nodes, makespan) {
  const mean = (f) => nodes.reduce((a, t) => a + f(t), 0) / nodes.length;
  const slot = nodes.reduce((a, t) => a + (t.downloading - t['node-start']), 0); // a slot ends when the job is done
  return {
    'slot→submit': mean((t) => t.submitting - t['node-start']),
    'submit→result': mean((t) => t.downloading - t.submitting),
    download: mean((t) => t.downloaded - t.downloading),
    'after slot→done': mean((t) => t['node-done'] - t.downloaded),
    slotUse: slot / (JOBS * makespan),
  };
}

// Where the time goes on a small machine: both processes share its cores.
const N = INSTANCES * PASSES;
const perNode = (r) =>
  `${(r.cpuMs / N).toFixed(1)} ms (emulator process ${(r.emulatorCpuMs / N).toFixed(1)} ms), ` +
  `${(r.polls / N).toFixed(1)} status/result polls; event loop busy: client ${(r.elu * 100).toFixed(0)} %, ` +
  `emulator ${(r.emulatorElu * 100).toFixed(0)} %`;
const replies = (r) =>
  `${Object.entries(r.replyMs)
    .map(([k, ms]) => `${k} ${ms.toFixed(1)}`)
    .join(', ')} ms`;

const ideal = idealMakespan(INSTANCES, PASSES, JOBS, RUN_MS);
console.log(
  `${INSTANCES} instances × ${PASSES} chained passes = ${INSTANCES * PASSES} requests of ${RUN_MS} ms at -j ${JOBS}`,
);
row('ideal makespan (Hu)', '-', `${ideal} ms`);
const r = await measure('run', EMULATOR_POLL_POLICY);
// The schedule's makespan: from its first submit until the run has returned (every output
// written, the lock flushed). Loading the recipe, hashing sources and planning come before it
// and are shown on the next line (and measured on their own by recipe.bench.mjs).
const schedule = r.ms - r.edges['start → first submit'];
row(
  'makespan (first submit → run done)',
  '≤ 1.05 × ideal',
  `${schedule.toFixed(0)} ms = ${(schedule / ideal).toFixed(3)} × ideal`,
  schedule / ideal <= 1.05,
);
row('  whole runRecipe call (+ load, hash, plan)', '-', `${r.ms.toFixed(0)} ms = ${(r.ms / ideal).toFixed(3)} × ideal`);
row('  CPU per node: client', '-', perNode(r));
row('  emulator reply time (mean)', '-', replies(r));
row(
  '  provider calls (mean)',
  '-',
  `${Object.entries(r.calls)
    .map(([k, ms]) => `${k} ${ms.toFixed(1)}`)
    .join(', ')} ms (the job itself: ${RUN_MS} ms)`,
);
const { slotUse, ...stretches } = r.phases;
row(
  '  per node (mean)',
  '-',
  `${Object.entries(stretches)
    .map(([k, ms]) => `${k} ${ms.toFixed(1)}`)
    .join(', ')} ms`,
);
row(
  '  -j slots busy',
  '-',
  `${(slotUse * 100).toFixed(0)} % of ${JOBS} × makespan; ` +
    Object.entries(r.edges)
      .map(([k, ms]) => `${k} ${ms.toFixed(0)} ms`)
      .join(', '),
);
