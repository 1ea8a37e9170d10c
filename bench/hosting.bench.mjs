#!/usr/bin/env node
/**
 * Hosting benchmark (issue 5): N distinct local images of ~1 MB (default 500), one pass fanned
 * out over them, hosted via `s3` to a local S3-compatible server (s3rver) at `-j 8`, with the
 * emulator as the RunComfy API (`provider: runcomfy`, fixed run time). Reports:
 *   - cold: empty bucket and cache — every image is uploaded during the run;
 *   - again: the same run once more — must upload (PUT) nothing and submit nothing;
 *   - upload only: the same N images hosted up front at concurrency 8, no API work;
 *   - pre-hosted: the run with every image already hosted (URL records present);
 * and how much of the upload time the cold run hid behind remote work:
 *   hidden = (upload only + pre-hosted − cold) / upload only.
 *
 * Images are real JPEGs the emulator decodes: 256×256 random noise, padded to ~1 MB with
 * random COM segments (the bytes are what hosting pays for; the small pixel count keeps the
 * emulator's CPU cost from drowning the fixed run time on a 2-core machine).
 *
 * Run after `npx tsc -p tsconfig.json`:  node bench/hosting.bench.mjs
 * Env: BENCH_HOSTING_N (images, default 500), BENCH_HOSTING_RUN_MS (emulator run time, default 500).
 * Everything (client, S3 server, emulator) shares this machine's cores, so the "remote" side is
 * not free here: on 2 busy cores the runs turn CPU-bound and hide less upload time than they
 * would against real S3 and RunComfy. The load average is printed with the figures.
 * Prints figures; exits non-zero only on a crash.
 */
import { fork } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pLimit from 'p-limit';
import S3rver from 's3rver';
import sharp from 'sharp';
import { createRuntime, openProviderSession, runRecipe, startEmulator } from '../dist/index.js';
import { createHosting } from '../dist/hosting/index.js';

const self = fileURLToPath(import.meta.url);
const N = Math.max(1, Number(process.env.BENCH_HOSTING_N ?? 500));
const RUN_MS = Math.max(0, Number(process.env.BENCH_HOSTING_RUN_MS ?? 500));
const JOBS = 8;
const TARGET_BYTES = 1_000_000;
const BUCKET = 'bench';
const AWS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'bench-secret', AWS_REGION: 'us-east-1' };

/** A JPEG of 256×256 noise, padded to ~`bytes` with COM segments right after SOI. */
async function paddedJpeg(bytes) {
  const w = 256;
  const jpg = await sharp(randomBytes(w * w * 3), { raw: { width: w, height: w, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
  const parts = [jpg.subarray(0, 2)];
  let size = jpg.length;
  while (size < bytes) {
    const payload = Math.min(65_533, bytes - size);
    const head = Buffer.from([0xff, 0xfe, ((payload + 2) >> 8) & 0xff, (payload + 2) & 0xff]);
    parts.push(head, randomBytes(payload));
    size += payload + 4;
  }
  parts.push(jpg.subarray(2));
  return Buffer.concat(parts);
}

async function makeImages(dir) {
  await mkdir(dir, { recursive: true });
  const limit = pLimit(4);
  let total = 0;
  await Promise.all(
    Array.from({ length: N }, (_, i) =>
      limit(async () => {
        const body = await paddedJpeg(TARGET_BYTES);
        total += body.length;
        await writeFile(join(dir, `img-${String(i).padStart(4, '0')}.jpg`), body);
      }),
    ),
  );
  return total;
}

/**
 * Child roles: the S3 server and the emulator stand for remote services, so each gets its own
 * process (and event loop); the bench process is kontext alone, as on a user's machine.
 * A child sends `{ ready }` once listening and answers `stats` with its request counts.
 */
async function child(role, arg) {
  let stats;
  if (role === 's3') {
    const server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: arg,
      configureBuckets: [{ name: BUCKET }],
    });
    const { port } = await server.run();
    const counts = { PUT: 0, HEAD: 0, GET: 0 };
    server.httpServer.prependListener('request', (req) => {
      if (req.method in counts) counts[req.method] += 1;
    });
    stats = () => ({ ...counts });
    process.send({ ready: `http://127.0.0.1:${port}` });
  } else {
    const emulator = await startEmulator({ queueMs: 0, runMs: Number(arg) });
    stats = () => ({
      submits: emulator
        .requestLog()
        .filter((e) => !e.internal && e.method === 'POST' && e.path.startsWith('/v1/models/')).length,
    });
    process.send({ ready: emulator.baseUrl });
  }
  process.on('message', (m) => (m === 'stats' ? process.send({ stats: stats() }) : process.exit(0)));
}

/** Fork a child role; `stats()` asks it for its counts. */
async function startChild(role, arg) {
  const proc = fork(self, ['--child', role, String(arg)], { stdio: ['ignore', 'inherit', 'ignore', 'ipc'] });
  const url = await new Promise((resolve, reject) => {
    proc.once('message', (m) => resolve(m.ready));
    proc.once('exit', (code) => reject(new Error(`${role} exited (${code})`)));
  });
  const stats = () =>
    new Promise((resolve) => {
      const on = (m) => {
        if (!m.stats) return;
        proc.off('message', on);
        resolve(m.stats);
      };
      proc.on('message', on);
      proc.send('stats');
    });
  const close = () =>
    new Promise((resolve) => {
      proc.once('exit', resolve);
      proc.send('exit');
    });
  return { url, stats, close };
}

function recipeYaml(s3, prefix) {
  const hosting = { mode: 's3', bucket: BUCKET, prefix, endpoint: s3.url, force_path_style: true };
  return `version: 1
name: hosting-bench-${prefix}
provider: runcomfy
hosting: ${JSON.stringify(hosting)}
sources:
  shots: images/*.jpg
passes:
  - id: edit
    prompt: "Keep the object unchanged. Replace the background with plain white."
    seed: 7
`;
}

function runtime(root, env) {
  const sink = { write: () => true };
  return createRuntime({ cwd: root, env, stdout: sink, stderr: sink });
}

/** One `kontext run -j 8`, timed; the session polls every 50 ms so detection lag stays small. */
async function timedRun(root, recipe, cacheDir, env, s3, emulator) {
  const rt = runtime(root, env);
  const session = await openProviderSession('runcomfy', rt, { poll: { firstDelayMs: 50, factor: 1, maxDelayMs: 50 } });
  const before = await s3.stats();
  const submitsBefore = (await emulator.stats()).submits;
  const failures = [];
  const t0 = performance.now();
  try {
    const result = await runRecipe(
      recipe,
      // The bench's own local bucket, named in its recipe: trusted, as a user who wrote it would.
      { jobs: JOBS, cacheDir, trustRecipeHosting: true },
      {
        rt,
        session,
        onEvent: (e) => {
          if (e.type === 'node-failed') failures.push(`${e.node}: ${e.message}`);
        },
      },
    );
    const ms = performance.now() - t0;
    const after = await s3.stats();
    if (failures.length) console.log(`  ${failures.length} failed, e.g. ${failures[0]}`);
    return {
      ms,
      done: result.summary.done,
      cached: result.summary.cached,
      puts: after.PUT - before.PUT,
      heads: after.HEAD - before.HEAD,
      submits: (await emulator.stats()).submits - submitsBefore,
    };
  } finally {
    await session.close();
  }
}

/** One tiny run of its own, so the timed runs pay no first-use costs (module loading, connections). */
async function warmUp(root, env, s3, emulator) {
  const dir = join(root, 'warm');
  await mkdir(join(dir, 'images'), { recursive: true });
  await writeFile(join(dir, 'images', 'warm.jpg'), await paddedJpeg(TARGET_BYTES));
  await writeFile(join(dir, 'warm.yml'), recipeYaml(s3, 'warm').replace('name: hosting-bench-warm', 'name: warm'));
  await mkdir(join(dir, '.git'));
  await timedRun(dir, join(dir, 'warm.yml'), join(dir, 'cache'), env, s3, emulator);
  await rm(dir, { recursive: true, force: true });
}

/** Host every image up front (what a user's own upload script would do before the run). */
async function uploadOnly(root, images, cacheDir, env, s3, prefix) {
  const rt = runtime(root, env);
  const hosting = createHosting(
    { mode: 's3', bucket: BUCKET, prefix, endpoint: s3.url, force_path_style: true },
    { rt, cacheDir, projectRoot: root, allowPrivateUrls: true }, // the bench's S3 server is on 127.0.0.1
  );
  const files = (await readdir(images)).filter((f) => f.endsWith('.jpg')).sort();
  const limit = pLimit(JOBS);
  const before = await s3.stats();
  const t0 = performance.now();
  await Promise.all(
    files.map((f) =>
      limit(async () => {
        const path = join(images, f);
        const { sha256, bytes } = await hashFile(path);
        await hosting.urlFor({ path, sha256, bytes });
      }),
    ),
  );
  const ms = performance.now() - t0;
  await hosting.close();
  return { ms, puts: (await s3.stats()).PUT - before.PUT };
}

async function hashFile(path) {
  const body = await readFile(path);
  return { sha256: createHash('sha256').update(body).digest('hex'), bytes: body.length };
}

const sec = (ms) => `${(ms / 1000).toFixed(1)} s`;

async function main() {
  const root = await mkdtemp(join(tmpdir(), 'kontext-hosting-bench-'));
  const s3dir = await mkdtemp(join(tmpdir(), 'kontext-hosting-bench-s3-'));
  const s3 = await startChild('s3', s3dir);
  const emulator = await startChild('emulator', RUN_MS);
  try {
    await mkdir(join(root, '.git'));
    const images = join(root, 'images');
    const t0 = performance.now();
    const total = await makeImages(images);
    console.log(
      `images: ${N} distinct JPEGs, ${(total / N / 1e6).toFixed(2)} MB each (${(total / 1e6).toFixed(0)} MB), ` +
        `generated in ${sec(performance.now() - t0)}`,
    );
    console.log(
      `API: emulator (own process), run time ${RUN_MS} ms per request; -j ${JOBS}; ` +
        'S3: s3rver on 127.0.0.1 (own process), presigned URLs',
    );
    console.log(
      `machine: ${cpus().length} cores, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}; latency-bound floor ${sec(Math.ceil(N / JOBS) * RUN_MS)}`,
    );
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: root,
      KONTEXT_CONFIG_DIR: join(root, 'config'),
      RUNCOMFY_MODEL_API_BASE: emulator.url,
      KONTEXT_ALLOW_HOSTS: '127.0.0.1',
      RUNCOMFY_TOKEN: 'bench-token',
      ...AWS,
    };
    await warmUp(root, env, s3, emulator);
    const coldRecipe = join(root, 'cold.yml');
    await writeFile(coldRecipe, recipeYaml(s3, 'cold'));
    const cold = await timedRun(root, coldRecipe, join(root, 'cache-cold'), env, s3, emulator);
    console.log(
      `cold run:        ${sec(cold.ms)}  (${cold.done} done, ${cold.puts} PUTs, ${cold.heads} HEADs, ` +
        `${cold.submits} submits)`,
    );
    const again = await timedRun(root, coldRecipe, join(root, 'cache-cold'), env, s3, emulator);
    console.log(
      `second run:      ${sec(again.ms)}  (${again.cached} cached, ${again.puts} PUTs, ${again.heads} HEADs, ` +
        `${again.submits} submits)${again.puts === 0 ? '' : '  <-- expected 0 PUTs'}`,
    );

    const up = await uploadOnly(root, images, join(root, 'cache-pre'), env, s3, 'pre');
    console.log(
      `upload only:     ${sec(up.ms)}  (${up.puts} PUTs at concurrency ${JOBS}, ` +
        `${(total / 1e6 / (up.ms / 1000)).toFixed(0)} MB/s)`,
    );
    const preRecipe = join(root, 'pre.yml');
    await writeFile(preRecipe, recipeYaml(s3, 'pre'));
    const pre = await timedRun(root, preRecipe, join(root, 'cache-pre'), env, s3, emulator);
    console.log(
      `pre-hosted run:  ${sec(pre.ms)}  (${pre.done} done, ${pre.puts} PUTs, ${pre.heads} HEADs, ` +
        `${pre.submits} submits)`,
    );

    const serial = up.ms + pre.ms;
    const hidden = up.ms > 0 ? (serial - cold.ms) / up.ms : 0;
    console.log(
      `cold vs pre-hosted: ${((cold.ms / pre.ms - 1) * 100).toFixed(1)} % longer; upload first then run: ` +
        `${sec(serial)}`,
    );
    console.log(`upload time hidden behind remote work: ${(hidden * 100).toFixed(0)} %`);
  } finally {
    await emulator.close();
    await s3.close();
    await rm(root, { recursive: true, force: true });
    await rm(s3dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await child(process.argv[3], process.argv[4]);
else await main();
