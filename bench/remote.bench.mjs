#!/usr/bin/env node
// Issue 13 targets for the shared remote cache: 2,000 nodes that are all remote hits (an empty
// local cache, every result in the bucket) at <= 3 S3 requests per node and >= 200 nodes/s.
// The bucket is a real S3-compatible server (s3rver on 127.0.0.1, in this process, so every
// request it answers is counted on the server side); the CLI runs as its own process. The
// remote is seeded the way a first machine's uploads would leave it: one blob and one record
// per node, keyed by the runner's own key function (500 instances × 4 chained passes).
// s3rver itself (one Node process, two files read per GET) sets a ceiling on a small machine, so
// the same GETs from bare loops are timed too, with each side's CPU time per GET: the SDK loop
// is bound by the SDK's CPU, not by s3rver (see the rows), so s3rver's CPU per GET is the ceiling.
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import S3rver from 's3rver';
import sharp from 'sharp';
import { buildPlan, createRuntime, loadRecipe } from '../dist/index.js';
import { keyFor, normalizedPrompt, resolvedParams } from '../dist/run/node-request.js';
import { openStore } from '../dist/store/index.js';
import { bin, root, row, tempProject, write } from './lib.mjs';

const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 500);
// BENCH_NODE_ARGS: node flags for the CLI process (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
// BENCH_REMOTE_ONLY=hits: only the 2,000-hits run (no `status` row, no re-run, no bare GET loops).
const HITS_ONLY = process.env.BENCH_REMOTE_ONLY === 'hits';
const PASSES = 4;
const BUCKET = 'kontext-bench';
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

async function project() {
  const dir = tempProject('remote');
  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#336699' } })
    .png()
    .toBuffer();
  for (let i = 0; i < INSTANCES; i++)
    write(join(dir, 'in', `item-${String(i).padStart(5, '0')}.png`), Buffer.concat([png, Buffer.from(String(i))]));
  const body = Array.from(
    { length: PASSES },
    (_, k) => `  - id: pass-${k + 1}\n    prompt: Keep the object unchanged. Make the background colour ${k + 1}.\n`,
  ).join('');
  write(
    join(dir, 'r.yml'),
    `version: 1\nprovider: emulator\ndefaults: { seed: 11 }\nsources:\n  items: "in/*.png"\npasses:\n${body}`,
  );
  return { dir };
}

/** Put every node's blob and record where a first machine's uploads would have put them. */
async function seedRemote(dir, client) {
  const rt = createRuntime({ cwd: dir });
  const plan = buildPlan(await loadRecipe('r.yml', { rt }));
  const scratch = await openStore(mkdtempSync(join(tmpdir(), 'kontext-bench-hash-')));
  const out = new Map();
  const limit = pLimit(32);
  const puts = [];
  const keys = [];
  for (const node of plan.nodes) {
    const input =
      node.input.kind === 'node' ? out.get(node.input.id) : (await scratch.hashSource(node.input.path)).sha256;
    const key = keyFor(node, 'emulator', input, node.seed);
    // A whole image, distinct per node: a fetched blob must be one (remote/fetch.ts), as a download must.
    const n = out.size;
    const background = { r: n & 255, g: (n >> 8) & 255, b: 77 };
    const bytes = await sharp({ create: { width: 8, height: 8, channels: 3, background } })
      .png()
      .toBuffer();
    const sha = createHash('sha256').update(bytes).digest('hex');
    out.set(node.id, sha);
    const record = {
      key,
      node: node.id,
      provider: 'emulator',
      model: node.model,
      seed: node.seed,
      input_sha256: input,
      output_sha256: sha,
      media_type: 'image/png',
      ext: 'png',
      request_id: `bench-${node.id}`,
      finished_at: new Date().toISOString(),
      prompt: normalizedPrompt(node),
      params: resolvedParams(node),
    };
    const put = (Key, Body) => limit(() => client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body })));
    keys.push(`bench/v1/blobs/${sha.slice(0, 2)}/${sha}`, `bench/v1/records/${key.slice(0, 2)}/${key}.json`);
    puts.push(put(keys.at(-2), bytes));
    puts.push(put(keys.at(-1), JSON.stringify(record)));
  }
  await Promise.all(puts);
  rmSync(scratch.root, { recursive: true, force: true });
  return { nodes: plan.nodes.length, keys };
}

/**
 * The CLI as a child process, asynchronously: s3rver answers from this process's event loop.
 * Besides wall time: the CLI's CPU time (user + system, via /usr/bin/time) and this process's
 * CPU time over the same span (s3rver's side of every request).
 */
function timeCli(args, options, cliBin = bin) {
  const usage = join(tmpdir(), `kontext-bench-rusage-${process.pid}`);
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn('/usr/bin/time', ['-o', usage, '-f', '%U %S', process.execPath, ...nodeArgs, cliBin, ...args], {
    ...options,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve) =>
    child.on('close', (status) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const server = process.cpuUsage(cpu0);
      const [user, sys] = readFileSync(usage, 'utf8').trim().split('\n').pop().split(' ').map(Number);
      rmSync(usage, { force: true });
      const serverCpuMs = (server.user + server.system) / 1000;
      resolve({ ms, status, stderr, cliCpuMs: (user + sys) * 1000, serverCpuMs });
    }),
  );
}

const cpuRow = (r, nodes) =>
  `CLI ${r.cliCpuMs.toFixed(0)} ms (${(r.cliCpuMs / nodes).toFixed(2)} ms/node), ` +
  `s3rver ${r.serverCpuMs.toFixed(0)} ms (${(r.serverCpuMs / nodes).toFixed(2)} ms/node)`;

const data = mkdtempSync(join(tmpdir(), 'kontext-bench-s3-'));
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: data,
  configureBuckets: [{ name: BUCKET }],
});
const { port } = await server.run();
const endpoint = `http://127.0.0.1:${port}`;
let requests = 0;
const byMethod = new Map();
server.httpServer.prependListener('request', (req) => {
  requests++;
  byMethod.set(req.method, (byMethod.get(req.method) ?? 0) + 1);
});
const client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1', credentials: CREDENTIALS });

const { dir } = await project();
const { nodes, keys } = await seedRemote(dir, client);
const env = {
  ...process.env,
  KONTEXT_CACHE_DIR: join(dir, '.bench-cache'),
  KONTEXT_REMOTE_CACHE: `s3://${BUCKET}/bench`,
  AWS_ENDPOINT_URL_S3: endpoint,
  AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
  AWS_REGION: 'us-east-1',
};

// `kontext status` first, on the same empty local cache: every node is in the remote only, which
// status checks (record GET + blob HEAD) without taking anything.
if (!HITS_ONLY) {
  requests = 0;
  byMethod.clear();
  const status = await timeCli(['status', 'r.yml', '--json'], { cwd: dir, env });
  if (status.status !== 0) throw new Error(`status failed: ${status.stderr.slice(-400)}`);
  const statusCalls = [...byMethod].map(([m, n]) => `${n} ${m}`).join(', ');
  row(
    `  kontext status, ${nodes} nodes all in the remote only`,
    '-',
    `${(requests / nodes).toFixed(2)} requests per node (${statusCalls}); ` +
      `${((nodes * 1000) / status.ms).toFixed(0)} nodes/s (${(status.ms / 1000).toFixed(1)} s); ` +
      cpuRow(status, nodes),
  );
}

/**
 * One run of every node as a remote hit, from an empty local cache (and no out/ or lock). An
 * earlier run's files are moved aside, not deleted: on ext4 without a journal, files created
 * right after thousands were deleted cost more system time (lib.mjs, benchFilesystem), which
 * would charge the next run for this one's clean-up. They go with the project at the end.
 */
let runs = 0;
async function hitRun(cliBin) {
  const aside = join(dir, `.bench-aside-${runs++}`);
  mkdirSync(aside);
  for (const p of ['.bench-cache', 'out', 'r.lock.json'])
    if (existsSync(join(dir, p))) renameSync(join(dir, p), join(aside, p));
  requests = 0;
  byMethod.clear();
  const hit = await timeCli(['run', 'r.yml'], { cwd: dir, env }, cliBin);
  if (hit.status !== 0 || !/submitted 0/.test(hit.stderr))
    throw new Error(`remote-hit run failed: ${hit.stderr.slice(-400)}`);
  const summary = /done \d+ · cached .*/.exec(hit.stderr)?.[0] ?? '';
  console.log(`  summary: ${summary}`);
  const methods = [...byMethod].map(([m, n]) => `${n} ${m}`).join(', ');
  console.log(
    `${nodes} nodes (${INSTANCES} instances × ${PASSES} chained passes), every one a remote hit, local cache empty` +
      (cliBin === bin ? '' : ` (${cliBin})`),
  );
  row('  whole CLI run (resolve, fetch, verify, write out/ + lock)', '-', `${hit.ms.toFixed(0)} ms`);
  row('  time per node', '-', `${(hit.ms / nodes).toFixed(2)} ms`);
  row('  nodes per second', '>= 200', `${((nodes * 1000) / hit.ms).toFixed(0)}`, (nodes * 1000) / hit.ms >= 200);
  row(
    '  S3 requests per node (server side)',
    '<= 3',
    `${(requests / nodes).toFixed(2)} (${methods})`,
    requests / nodes <= 3,
  );
  row('  CPU time (user + system) of each process', '-', cpuRow(hit, nodes));
}

// BENCH_REMOTE_ROUNDS=n: the hits run n times; BENCH_BINS=a,b: each round runs each CLI in turn
// (interleaved, so a before/after comparison sees the same load on a shared machine).
const bins = (process.env.BENCH_BINS ?? bin).split(',').filter(Boolean);
for (let round = 0; round < Number(process.env.BENCH_REMOTE_ROUNDS ?? 1); round++)
  for (const cliBin of bins) await hitRun(cliBin);

if (!HITS_ONLY) {
  requests = 0;
  const again = await timeCli(['run', 'r.yml'], { cwd: dir, env });
  if (again.status !== 0) throw new Error(`re-run failed: ${again.stderr.slice(-400)}`);
  row('  re-run (now local hits)', '-', `${again.ms.toFixed(0)} ms, ${requests} S3 requests`);
  row('  re-run CPU time', '-', `CLI ${again.cliCpuMs.toFixed(0)} ms`);
  await ceilingRows();
}

async function ceilingRows() {
  // The same GETs from a bare loop in its own process (as the CLI is): the AWS SDK at a few
  // concurrencies, and the remote cache's own client. Wall rate and CPU per GET on each side
  // tell which side bounds the rate: s3rver's CPU per GET is the server's real ceiling.
  const sample = keys.slice(0, 1000);
  const keysFile = join(dir, 'bench-keys.txt');
  writeFileSync(keysFile, sample.join('\n'));
  const loops = (process.env.BENCH_CEILING_CONCURRENCY ?? '1,4,16').split(',').map(Number);
  for (const [kind, c] of [...loops.map((c) => ['sdk', c]), ['kontext', 16]]) {
    const cpu0 = process.cpuUsage();
    const script = join(root, 'bench', 'remote-get-loop.mjs');
    const out = await new Promise((resolve) => {
      const child = spawn(process.execPath, [script, endpoint, BUCKET, keysFile, c, kind], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      child.stdout.on('data', (d) => {
        text += d;
      });
      child.on('close', (status) => resolve(status === 0 ? JSON.parse(text) : null));
    });
    const server = process.cpuUsage(cpu0);
    const label = `  bare ${kind === 'sdk' ? 'AWS SDK' : "remote cache's own"} GET loop, ${c} at a time`;
    if (out === null) {
      row(label, '-', 'n/a (the loop failed)');
      continue;
    }
    const perSecond = (sample.length * 1000) / out.ms;
    const serverMs = (server.user + server.system) / 1000 / sample.length;
    row(
      label,
      '-',
      `${perSecond.toFixed(0)} GET/s; CPU per GET: client ${(out.cpuMs / sample.length).toFixed(2)} ms, ` +
        `s3rver ${serverMs.toFixed(2)} ms`,
    );
  }
}
client.destroy();

await server.close();
rmSync(data, { recursive: true, force: true });
rmSync(dir, { recursive: true, force: true });
