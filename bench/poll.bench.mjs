#!/usr/bin/env node
/**
 * Poll policy benchmark on a virtual clock (instant, deterministic): detection delay and number
 * of status requests for jobs finishing around 1 s, 10 s and 60 s, our capped backoff
 * (`nextPollDelay` + DEFAULT_POLL_POLICY from dist) vs the official CLI's fixed 2 s with the
 * first poll at once. Each job length is swept over ±25 % (1,001 finishing times) so the result
 * does not hinge on a lucky phase, and every status request costs the same round trip.
 *
 * Run after `npx tsc -p tsconfig.json`:  node bench/poll.bench.mjs
 */
import { nextPollDelay } from '../dist/providers/polling/backoff.js';
import { DEFAULT_POLL_POLICY } from '../dist/providers/runcomfy/poll.js';
import { CompletionTimes, planPoll } from '../dist/providers/runcomfy/completion-times.js';

const RTT_MS = 100; // one status round trip; the state is read when the request arrives (RTT/2)
const SWEEP = 1001;
const JOBS_S = [1, 10, 60];

/** Ours: sleep nextPollDelay(k), then poll; the wait clock starts when submit returns. */
const ours = { name: 'kontext backoff', delayBefore: (k) => nextPollDelay(k, DEFAULT_POLL_POLICY) };
/** Official CLI: poll at once, then every 2 s after each reply. */
const fixed = { name: 'fixed 2 s (official CLI)', delayBefore: (k) => (k === 0 ? 0 : 2_000) };

/** Simulate one job finishing at `doneMs`: when is it detected, after how many status requests? */
function simulate(policy, doneMs) {
  let t = 0;
  for (let k = 0; k < 100_000; k++) {
    t += policy.delayBefore(k);
    const seenAt = t + RTT_MS / 2;
    t += RTT_MS;
    if (seenAt >= doneMs) return { delayMs: t - doneMs, requests: k + 1 };
  }
  throw new Error('never detected');
}

function sweep(policy, jobMs) {
  const delays = [];
  let requests = 0;
  for (let i = 0; i < SWEEP; i++) {
    const doneMs = jobMs * (0.75 + (0.5 * i) / (SWEEP - 1));
    const r = simulate(policy, doneMs);
    delays.push(r.delayMs);
    requests += r.requests;
  }
  delays.sort((a, b) => a - b);
  const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
  return { mean, p95: delays[Math.floor(0.95 * (delays.length - 1))], requests: requests / SWEEP };
}

const s = (ms) => (ms / 1000).toFixed(2).padStart(6);
const rows = [];
console.log(
  `poll policy: first ${DEFAULT_POLL_POLICY.firstDelayMs} ms, x${DEFAULT_POLL_POLICY.factor}, cap ` +
    `${DEFAULT_POLL_POLICY.maxDelayMs} ms; RTT ${RTT_MS} ms; job length swept ±25 %\n`,
);
console.log('job    policy                     mean delay  p95 delay  status requests');
for (const jobS of JOBS_S) {
  const a = sweep(ours, jobS * 1000);
  const b = sweep(fixed, jobS * 1000);
  rows.push({ jobS, a, b });
  for (const [p, r] of [
    [ours, a],
    [fixed, b],
  ]) {
    console.log(
      `${String(jobS).padStart(3)} s  ${p.name.padEnd(26)} ${s(r.mean)} s   ${s(r.p95)} s   ` +
        `${r.requests.toFixed(1).padStart(6)}`,
    );
  }
}
console.log('\nratios (ours / fixed 2 s):');
for (const { jobS, a, b } of rows) {
  console.log(
    `${String(jobS).padStart(3)} s  delay ${(a.mean / b.mean).toFixed(2)}x   requests ` +
      `${(a.requests / b.requests).toFixed(2)}x`,
  );
}
const short = rows[0];
const long = rows[rows.length - 1];
const okShort = short.a.mean < short.b.mean;
const okLong = long.a.requests < long.b.requests;
console.log(
  `\ntarget: lower mean delay for ${short.jobS} s jobs: ${okShort ? 'met' : 'MISSED'}; fewer requests for ` +
    `${long.jobS} s jobs: ${okLong ? 'met' : 'MISSED'}`,
);

// Within one run jobs are alike: the client learns when they finish (median of recent ones),
// takes one early look at the queue, then reads the result where the job is expected to finish
// (a result read carries the state: one request instead of status + result). Simulated over a
// batch of jobs of the given length ±25 %, in shuffled order, the learned state carried from job
// to job exactly as one client instance does. Requests here include the result read; the plain
// policies above need one more request each (their result read after the status said done).
function learnedBatch(jobMs) {
  const times = new CompletionTimes();
  const order = Array.from({ length: SWEEP }, (_, i) => i).sort((a, b) => ((a * 7919) % SWEEP) - ((b * 7919) % SWEEP));
  const delays = [];
  let requests = 0;
  for (const i of order) {
    const doneMs = jobMs * (0.75 + (0.5 * i) / (SWEEP - 1));
    let t = 0;
    let lastNotDone = 0;
    for (let k = 0; ; k++) {
      const plan = planPoll(k, t, DEFAULT_POLL_POLICY, times.expected(10), 10);
      t += plan.delayMs;
      const seenAt = t + RTT_MS / 2;
      t += RTT_MS;
      requests++;
      if (seenAt >= doneMs) {
        times.record(lastNotDone, seenAt, 10);
        if (!plan.readResult) requests++; // status said done: the result is one more request
        delays.push(t - doneMs);
        break;
      }
      lastNotDone = seenAt;
    }
  }
  return { mean: delays.reduce((a, b) => a + b, 0) / delays.length, requests: requests / SWEEP };
}
console.log('\nlearned completion times (a batch of like jobs, one client; requests include the result read):');
for (const { jobS, a, b } of rows) {
  const l = learnedBatch(jobS * 1000);
  console.log(
    `${String(jobS).padStart(3)} s  mean delay ${s(l.mean)} s (backoff ${s(a.mean)} s, fixed 2 s ${s(b.mean)} s)   ` +
      `requests ${l.requests.toFixed(1).padStart(5)} (backoff ${(a.requests + 1).toFixed(1)}, fixed ` +
      `${(b.requests + 1).toFixed(1)})`,
  );
}
