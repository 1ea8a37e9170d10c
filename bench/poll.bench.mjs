#!/usr/bin/env node
/**
 * Polling benchmark, per provider API, against the official CLI's fixed 2 s polling (first read
 * at once, then 2 s after each reply). For jobs of 1, 5, 10, 30, 60 and 120 s, each spread ±25 %
 * (uniform, shuffled), it prints the mean and p95 detection delay (finish → the reply that says
 * so is in hand) and the mean number of reads per job, with the ratios ours / fixed.
 *
 * What runs: the REAL wait loop and schedule every client uses (`pollUntil` from
 * src/providers/polling/poll-loop.ts, with `planRead` and the learned `CompletionTimes`), on a
 * virtual clock (the Runtime's `now`/`sleep`), so 120 s jobs take no real time. What is
 * simulated: the server, as a faithful model of the emulator's job timing — a job is done at T
 * after the submit left; a read reaches the server RTT/2 after it leaves and sees the state then;
 * its reply is back RTT/2 later. The learned times are carried from job to job as one client
 * (and the file saved in the cache dir between runs) carries them; the first jobs of the batch
 * start with nothing learned, and are counted.
 *
 * Read costs per API (what a read is, as the clients do it):
 * - RunComfy: a read aimed at the finish is a result read (it carries the state); a blind read is
 *   a status read, and a finished status costs one more read for the result. Fixed 2 s polls
 *   status, then reads the result (the official CLI).
 * - Replicate: the create is not held by default (its id comes back at once); every read is
 *   `GET /v1/predictions/{id}`, which carries the output. Also shown held with `Prefer: wait=4`
 *   (KONTEXT_REPLICATE_WAIT_S=4: a job done within 4 s needs no read) and with the API's maximum
 *   hold of 60 s, which kontext never uses (see docs/architecture.md#the-replicate-api).
 * - BFL: `get_result` carries state and result. fal: as RunComfy (its client reads the result
 *   when aimed; an early one answers "still in progress"), and, for comparison, status reads only.
 *
 * Run after `npm run build`:  node bench/poll.bench.mjs
 */
import { nextPollDelay } from '../dist/providers/polling/backoff.js';
import { CompletionTimes } from '../dist/providers/polling/completion-times.js';
import { pollUntil } from '../dist/providers/polling/poll-loop.js';
import { DEFAULT_MAX_GAP_MS } from '../dist/providers/polling/schedule.js';
import { DEFAULT_POLL_POLICY } from '../dist/providers/runcomfy/poll.js';

const RTT_MS = 100;
const JOBS = 401;
const LENGTHS_S = [1, 5, 10, 30, 60, 120];
const MIN_STEP_MS = 5;

/** A virtual clock the real loop sleeps on. */
function virtualRuntime() {
  const rt = {
    t: 0,
    env: {},
    now: () => rt.t,
    sleep: async (ms) => {
      rt.t += Math.max(0, ms);
    },
    random: () => 0.5,
  };
  return rt;
}

/**
 * One job done at `doneMs`, with our loop. `api`: { holdS, resultWithState, statusThenResult }.
 * Returns { delayMs, reads }.
 */
async function ours(api, doneMs, learned) {
  const rt = virtualRuntime();
  let reads = 0;
  const took = doneMs - RTT_MS / 2; // as the service measures it (from the submit's arrival)
  if (api.holdS > 0) {
    const heldUntil = Math.min(doneMs, RTT_MS / 2 + api.holdS * 1000);
    rt.t = heldUntil + RTT_MS / 2;
    if (doneMs <= heldUntil) {
      learned.recordDuration(took);
      return { delayMs: rt.t - doneMs, reads };
    }
  } else {
    rt.t = RTT_MS; // the submit's reply
  }
  const read = async (aimed) => {
    reads++;
    rt.t += RTT_MS / 2;
    const done = rt.t >= doneMs;
    rt.t += RTT_MS / 2;
    if (!done) return { state: { phase: 'running' } };
    const carries = api.resultWithState || (api.aimedCarries && aimed);
    if (!carries) {
      reads++; // the result read after a status said done
      rt.t += RTT_MS;
    }
    return { done: true, tookMs: took };
  };
  await pollUntil({
    rt,
    schedule: { policy: DEFAULT_POLL_POLICY, minStepMs: MIN_STEP_MS, maxGapMs: DEFAULT_MAX_GAP_MS },
    learned,
    deadlineMs: 3_600_000,
    submittedAt: 0,
    read,
    onDeadline: () => {
      throw new Error('deadline');
    },
  });
  return { delayMs: rt.t - doneMs, reads };
}

/** Fixed 2 s: the submit returns at once, a read at once, then 2 s after each reply. */
function fixed(api, doneMs) {
  let t = RTT_MS;
  for (let k = 0; ; k++) {
    if (k > 0) t += 2_000;
    const seen = t + RTT_MS / 2;
    t += RTT_MS;
    if (seen >= doneMs) {
      const reads = k + 1 + (api.resultWithState ? 0 : 1);
      return { delayMs: t + (api.resultWithState ? 0 : RTT_MS) - doneMs, reads };
    }
  }
}

/** 0..n-1 in a seeded random order (Fisher–Yates over mulberry32), the same on every run. */
function shuffled(n, seed) {
  let a = seed >>> 0;
  const random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

function stats(rs) {
  const d = rs.map((r) => r.delayMs).sort((a, b) => a - b);
  return {
    mean: d.reduce((a, b) => a + b, 0) / d.length,
    p95: d[Math.floor(0.95 * (d.length - 1))],
    reads: rs.reduce((a, r) => a + r.reads, 0) / rs.length,
  };
}

async function measure(api, lengthS) {
  const learned = new CompletionTimes();
  const order = shuffled(JOBS, lengthS);
  const a = [];
  const b = [];
  for (const i of order) {
    const doneMs = lengthS * 1000 * (0.75 + (0.5 * i) / (JOBS - 1));
    a.push(await ours(api, doneMs, learned));
    b.push(fixed(api, doneMs));
  }
  return { ours: stats(a), fixed: stats(b), cold: stats(a.slice(0, 3)) };
}

const APIS = [
  { name: 'RunComfy (result reads carry the state)', aimedCarries: true, resultWithState: false, holdS: 0 },
  { name: 'Replicate (prediction reads, the default)', resultWithState: true, holdS: 0 },
  { name: 'Replicate with Prefer: wait=4 (KONTEXT_REPLICATE_WAIT_S=4)', resultWithState: true, holdS: 4 },
  { name: 'Replicate with Prefer: wait=60 (never used)', resultWithState: true, holdS: 60 },
  { name: 'BFL (get_result)', resultWithState: true, holdS: 0 },
  {
    name: 'fal (aimed reads are result reads, as its client does)',
    aimedCarries: true,
    resultWithState: false,
    holdS: 0,
  },
  {
    name: 'fal if every read were a status read (+1 result read)',
    aimedCarries: false,
    resultWithState: false,
    holdS: 0,
  },
];

const s = (ms) => (ms / 1000).toFixed(2).padStart(6);
const x = (r) => `${r.toFixed(2)}x`.padStart(6);
console.log(
  `RTT ${RTT_MS} ms; ${JOBS} jobs per length, uniform ±25 %, shuffled; blind backoff ` +
    `${DEFAULT_POLL_POLICY.firstDelayMs} ms ×${DEFAULT_POLL_POLICY.factor} ≤ ${DEFAULT_POLL_POLICY.maxDelayMs} ms ` +
    `(first ${nextPollDelay(0, DEFAULT_POLL_POLICY)} ms); learned reads ≤ ${DEFAULT_MAX_GAP_MS} ms apart`,
);
console.log('target: mean delay ≤ 0.50x and reads ≤ 1.00x of fixed 2 s, for every length\n');
const misses = [];
for (const api of APIS) {
  console.log(api.name);
  console.log('   job   mean delay ours/fixed      p95 delay ours/fixed      reads ours/fixed       ratios d / r');
  for (const lengthS of LENGTHS_S) {
    const { ours: o, fixed: f, cold } = await measure(api, lengthS);
    const dr = o.mean / f.mean;
    const rr = o.reads / f.reads;
    const ok = dr <= 0.5 && rr <= 1.0;
    if (!ok) misses.push(`${api.name} ${lengthS} s`);
    console.log(
      `${String(lengthS).padStart(5)} s   ${s(o.mean)} / ${s(f.mean)} s     ${s(o.p95)} / ${s(f.p95)} s    ` +
        `${o.reads.toFixed(1).padStart(5)} / ${f.reads.toFixed(1).padStart(5)}     ${x(dr)} ${x(rr)}  ` +
        `${ok ? 'met' : 'MISSED'}   (first 3 jobs, nothing learned: ${s(cold.mean)} s, ${cold.reads.toFixed(1)} reads)`,
    );
  }
  console.log('');
}
console.log(misses.length === 0 ? 'all targets met' : `MISSED: ${misses.join('; ')}`);
