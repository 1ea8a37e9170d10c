#!/usr/bin/env node
// Issue 13 targets for the shared remote cache: 2,000 nodes that are all remote hits (an empty
// local cache, every result in the bucket) at <= 3 S3 requests per node and >= 200 nodes/s.
// The bucket is a real S3-compatible server (s3rver on 127.0.0.1, in this process, so every
// request it answers is counted on the server side); the CLI runs as its own process. The
// remote is seeded the way a first machine's uploads would leave it: one blob and one record
// per node, keyed by the runner's own key function (500 instances × 4 chained passes).
// s3rver itself (one Node process, two files read per GET) sets a ceiling on a small machine, so the
// same GETs from a bare SDK loop are timed too: nodes/s is to be read against that.
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import S3rver from 's3rver';
import sharp from 'sharp';
import { buildPlan, createRuntime, loadRecipe } from '../dist/index.js';
import { keyFor, normalizedPrompt, resolvedParams } from '../dist/run/node-request.js';
import { openStore } from '../dist/store/index.js';
import { bin, row, tempProject, write } from './lib.mjs';

const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 500);
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
  return { dir, png };
}

/** Put every node's blob and record where a first machine's uploads would have put them. */
async function seedRemote(dir, png, client) {
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
    const bytes = Buffer.concat([png, Buffer.from(`output of ${node.id}`)]);
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

/** The CLI as a child process, asynchronously: s3rver answers from this process's event loop. */
function timeCli(args, options) {
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, [bin, ...args], { ...options, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve) =>
    child.on('close', (status) => resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, status, stderr })),
  );
}

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

const { dir, png } = await project();
const { nodes, keys } = await seedRemote(dir, png, client);
const env = {
  ...process.env,
  KONTEXT_CACHE_DIR: join(dir, '.bench-cache'),
  KONTEXT_REMOTE_CACHE: `s3://${BUCKET}/bench`,
  AWS_ENDPOINT_URL_S3: endpoint,
  AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
  AWS_REGION: 'us-east-1',
};

requests = 0;
byMethod.clear();
const hit = await timeCli(['run', 'r.yml'], { cwd: dir, env });
if (hit.status !== 0 || !/submitted 0/.test(hit.stderr))
  throw new Error(`remote-hit run failed: ${hit.stderr.slice(-400)}`);
const summary = /done \d+ · cached .*/.exec(hit.stderr)?.[0] ?? '';
console.log(`  summary: ${summary}`);
const methods = [...byMethod].map(([m, n]) => `${n} ${m}`).join(', ');
console.log(
  `${nodes} nodes (${INSTANCES} instances × ${PASSES} chained passes), every one a remote hit, local cache empty`,
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

requests = 0;
const again = await timeCli(['run', 'r.yml'], { cwd: dir, env });
if (again.status !== 0) throw new Error(`re-run failed: ${again.stderr.slice(-400)}`);
row('  re-run (now local hits)', '-', `${again.ms.toFixed(0)} ms, ${requests} S3 requests`);

// The server's own ceiling on this machine: 1,000 of the same GETs from a bare SDK loop, 16 at a time.
const limit = pLimit(16);
const sample = keys.slice(0, 1000);
const t0 = process.hrtime.bigint();
try {
  await Promise.all(
    sample.map((Key) =>
      limit(async () => (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key }))).Body.transformToByteArray()),
    ),
  );
  const perSecond = (sample.length * 1000) / (Number(process.hrtime.bigint() - t0) / 1e6);
  row(
    '  s3rver ceiling: the same GETs from a bare SDK loop',
    '-',
    `${perSecond.toFixed(0)} GET/s = ${(perSecond / 2).toFixed(0)} nodes/s at 2 GETs per node`,
  );
} catch (e) {
  row('  s3rver ceiling: the same GETs from a bare SDK loop', '-', `n/a (${e.name}: ${e.message})`);
}
client.destroy();

await server.close();
rmSync(data, { recursive: true, force: true });
rmSync(dir, { recursive: true, force: true });
