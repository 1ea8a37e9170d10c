#!/usr/bin/env node
/**
 * Download benchmark: a 1 GiB output from the emulator (a synthetic PNG, so the client's image
 * check runs), fetched by the kontext client (streamed, hashed, size-checked, temp file +
 * rename) vs a bare undici stream-to-file of the same URL, and a bare stream that also hashes
 * (the cost of sha256 alone), each in its own child process so peak RSS
 * (`process.resourceUsage().maxRSS`) is the download's alone. Rounds alternate bare/client;
 * the best round of each is compared.
 * Targets: client peak RSS < 150 MB, client throughput ≥ 80 % of bare.
 *
 * Run after `npx tsc -p tsconfig.json`:  node bench/download.bench.mjs [bytes] [rounds]
 * Exits non-zero only on a crash, not on a missed target.
 */
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const self = fileURLToPath(import.meta.url);

/** Child mode: download once, print {ms, maxRssKb, bytes} as JSON. */
async function child(kind, url, dest) {
  const started = performance.now();
  let bytes;
  if (kind === 'bare' || kind === 'bare+sha') {
    // The reference: undici straight into a file. `bare+sha` also hashes inline, to show what
    // the mandatory sha256 alone costs on this CPU.
    const { Agent, stream } = await import('undici');
    const { createHash } = await import('node:crypto');
    const agent = new Agent();
    const hash = createHash('sha256');
    await stream(url, { method: 'GET', dispatcher: agent }, () => {
      const out = createWriteStream(dest);
      if (kind === 'bare') return out;
      const write = out.write.bind(out);
      out.write = (chunk, ...rest) => {
        hash.update(chunk);
        return write(chunk, ...rest);
      };
      return out;
    });
    await agent.close();
    bytes = (await stat(dest)).size;
  } else {
    const { createRunComfyProvider } = await import('../dist/providers/runcomfy/client.js');
    const { createRuntime } = await import('../dist/runtime.js');
    const provider = createRunComfyProvider({
      baseUrl: 'http://127.0.0.1:1/v1',
      token: 'bench',
      rt: createRuntime({ env: {} }),
      allowHosts: ['127.0.0.1'],
    });
    bytes = (await provider.download(url, dest)).bytes;
    await provider.close();
  }
  const ms = performance.now() - started;
  process.stdout.write(JSON.stringify({ ms, bytes, maxRssKb: process.resourceUsage().maxRSS }));
}

async function runChild(kind, url, dir, round) {
  const dest = join(dir, `${kind}-${round}.bin`);
  const { stdout } = await promisify(execFile)(process.execPath, [self, '--child', kind, url, dest], {
    maxBuffer: 1 << 20,
  });
  await rm(dest, { force: true });
  return JSON.parse(stdout);
}

async function main() {
  const size = Number(process.argv[2] ?? 1024 ** 3);
  const rounds = Number(process.argv[3] ?? 3);
  const { startEmulator } = await import('../dist/emulator/index.js');
  const emulator = await startEmulator();
  const dir = await mkdtemp(join(tmpdir(), 'kontext-bench-'));
  const url = `${emulator.origin}/files/synthetic/${size}.png`;
  const runs = { bare: [], 'bare+sha': [], client: [] };
  try {
    for (let r = 0; r < rounds; r++) {
      for (const kind of ['bare', 'bare+sha', 'client']) {
        const res = await runChild(kind, url, dir, r);
        if (res.bytes !== size) throw new Error(`${kind} downloaded ${res.bytes} of ${size} bytes`);
        runs[kind].push(res);
        console.log(
          `round ${r + 1} ${kind.padEnd(8)} ${(res.ms / 1000).toFixed(2)} s  ${mbps(size, res.ms)} MB/s  peak RSS ` +
            `${mb(res.maxRssKb)} MB`,
        );
      }
    }
  } finally {
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  }
  const best = (xs) => xs.reduce((a, b) => (b.ms < a.ms ? b : a));
  const bare = best(runs.bare);
  const client = best(runs.client);
  const ratio = bare.ms / client.ms;
  const rss = Math.max(...runs.client.map((x) => x.maxRssKb));
  console.log(`\n${(size / 1024 ** 3).toFixed(2)} GiB, best of ${rounds}:`);
  console.log(
    `  bare undici stream-to-file : ${mbps(size, bare.ms)} MB/s, peak RSS ` +
      `${mb(Math.max(...runs.bare.map((x) => x.maxRssKb)))} MB`,
  );
  const ref = best(runs['bare+sha']);
  console.log(
    `  bare + inline sha256       : ${mbps(size, ref.ms)} MB/s (what the hash alone costs; client/this: ` +
      `${((ref.ms / client.ms) * 100).toFixed(0)} %)`,
  );
  console.log(
    `  kontext client download    : ${mbps(size, client.ms)} MB/s, peak RSS ${mb(rss)} MB ` +
      '(sha256 + length check + rename)',
  );
  console.log(
    `  throughput ratio client/bare: ${(ratio * 100).toFixed(0)} % (target ≥ 80 %: ` +
      `${ratio >= 0.8 ? 'met' : 'MISSED'})`,
  );
  console.log(`  client peak RSS: ${mb(rss)} MB (target < 150 MB: ${rss / 1024 < 150 ? 'met' : 'MISSED'})`);
}

const mb = (kb) => (kb / 1024).toFixed(0);
const mbps = (bytes, ms) => (bytes / 1e6 / (ms / 1000)).toFixed(0);

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4], process.argv[5]);
} else {
  await main();
}
