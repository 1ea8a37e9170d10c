#!/usr/bin/env node
// `npm run bench`: every bench/*.bench.mjs in its own process, one after the other (they
// measure time and memory, so they must not share a process or run side by side).
// `npm run bench -- recipe noop` runs only the named ones. Figures are printed, never asserted.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();
// The benches make their temp projects (lib.mjs `tempProject`) in a folder of this run's own, on
// the same filesystem, deleted at the end: never anything another run (or anyone else) made.
const older = readdirSync(tmpdir()).filter((f) => f.startsWith('kontext-bench-')).length;
const runTmp = mkdtempSync(join(tmpdir(), 'kontext-bench-run-'));
let crashed = 0;
for (const file of benches) {
  process.stdout.write(`\n=== ${file} ===\n`);
  const t0 = Date.now();
  // The AWS SDK's Node-20 notice is for us, not a figure (the CLI silences it the same way).
  const env = { ...process.env, TMPDIR: runTmp, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  const r = spawnSync(process.execPath, ['--expose-gc', join(here, file)], { stdio: 'inherit', env });
  process.stdout.write(
    `(${file}: ${((Date.now() - t0) / 1000).toFixed(1)} s${r.status === 0 ? '' : `, exit ${r.status}`})\n`,
  );
  if (r.status !== 0) crashed++;
}
// Each bench keeps its projects until the end: deleting thousands of files right before the next
// bench would slow that one's file creation (see benchFilesystem in lib.mjs). BENCH_KEEP=1 keeps them.
if (process.env.BENCH_KEEP === '1') process.stdout.write(`\nthe benches' temp projects are in ${runTmp}\n`);
else {
  rmSync(runTmp, { recursive: true, force: true });
  process.stdout.write(`\nremoved the benches' temp projects (${runTmp}; BENCH_KEEP=1 keeps them)\n`);
}
if (older > 0) process.stdout.write(`${older} older kontext-bench-* entries in ${tmpdir()} were left as they were\n`);
process.exitCode = crashed === 0 ? 0 : 1;
