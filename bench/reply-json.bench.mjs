#!/usr/bin/env node
/**
 * CPU per API reply of `parseReplyJson` (src/providers/runcomfy/transport.ts), which every
 * client runs on every status, result and submit reply: the guard against replies nested deeper
 * than 64 levels, then `JSON.parse`. Replies as the clients see them: a RunComfy status (queued),
 * a finished result, a model info with its input schema (5.7 kB, ~80 brackets), and a hostile
 * reply nested a million deep (refused before parsing). `JSON.parse` alone is printed beside it,
 * the floor. CPU time (process.cpuUsage) per call, median of 5 rounds.
 *
 * Run after `npm run build`:  node bench/reply-json.bench.mjs
 * Another build: BENCH_DIST=/path/to/other/dist node bench/reply-json.bench.mjs
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median, root, row } from './lib.mjs';

const dist = process.env.BENCH_DIST ?? join(root, 'dist');
const { parseReplyJson } = await import(pathToFileURL(join(dist, 'providers/runcomfy/transport.js')).href);

const id = '0f3c2a1e-8d7b-4c2a-9e1f-1234567890ab';
const status = JSON.stringify({
  request_id: id,
  status: 'in_queue',
  queue_position: 3,
  status_url: `https://model-api.runcomfy.net/v1/requests/${id}/status`,
});
const result = JSON.stringify({
  request_id: id,
  status: 'succeeded',
  output: { images: [`https://cdn.runcomfy.net/outputs/${id}/out.png`] },
  created_at: '2026-01-01T00:00:00Z',
  finished_at: '2026-01-01T00:00:10Z',
});
const properties = Object.fromEntries(
  Array.from({ length: 40 }, (_, i) => [`p${i}`, { type: 'string', description: 'd'.repeat(80), enum: ['a', 'b'] }]),
);
const info = JSON.stringify({ id: 'flux-kontext', base_price_usd: 0.04, input_schema: { type: 'object', properties } });
const hostile = `{"error_message":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`;

/** CPU microseconds per call of `fn(text)`, median of 5 rounds of `n` calls. */
function cpuPerCall(fn, text, n) {
  const rounds = [];
  for (let r = 0; r < 6; r++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < n; i++) fn(text);
    const d = process.cpuUsage(t0);
    if (r > 0) rounds.push((d.user + d.system) / n); // the first round warms up
  }
  return median(rounds);
}

const cases = [
  ['status reply', status, 200_000],
  ['result reply', result, 200_000],
  ['model info reply', info, 10_000],
  ['hostile reply (1e6 deep)', hostile, 20],
];
console.log(`parseReplyJson from ${dist}`);
for (const [label, text, n] of cases) {
  const ours = cpuPerCall(parseReplyJson, text, n);
  const floor = label.startsWith('hostile') ? null : cpuPerCall(JSON.parse, text, n);
  const parse = floor === null ? '' : `; JSON.parse alone ${floor.toFixed(3)} µs`;
  const refused = parseReplyJson(text) === undefined ? ', refused' : '';
  row(label, `${text.length} B`, `${ours.toFixed(3)} µs CPU per reply${refused}${parse}`);
}
