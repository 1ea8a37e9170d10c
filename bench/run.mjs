#!/usr/bin/env node
// `npm run bench`: every bench/*.bench.mjs in its own process, one after the other (they
// measure time and memory, so they must not share a process or run side by side).
// `npm run bench -- recipe noop` runs only the named ones. Figures are printed, never asserted.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The benches' temp projects (bench/lib.mjs `tempProject`) now in the temp folder. */
function benchProjects() {
  return new Set(readdirSync(tmpdir()).filter((f) => f.startsWith('kontext-bench-')));
}

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();
const before = benchProjects();
let crashed = 0;
for (const file of benches) {
  process.stdout.write(`\n=== ${file} ===\n`);
  const t0 = Date.now();
  // The AWS SDK's Node-20 notice is for us, not a figure (the CLI silences it the same way).
  const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  const r = spawnSync(process.execPath, ['--expose-gc', join(here, file)], { stdio: 'inherit', env });
  process.stdout.write(
    `(${file}: ${((Date.now() - t0) / 1000).toFixed(1)} s${r.status === 0 ? '' : `, exit ${r.status}`})\n`,
  );
  if (r.status !== 0) crashed++;
}
// Each bench keeps its projects until the end: deleting thousands of files right before the next
// bench would slow that one's file creation (see benchFilesystem in lib.mjs). BENCH_KEEP=1 keeps them.
const made = [...benchProjects()].filter((f) => !before.has(f));
if (process.env.BENCH_KEEP !== '1' && made.length > 0) {
  for (const f of made) rmSync(join(tmpdir(), f), { recursive: true, force: true });
  const projects = `${made.length} temp project${made.length === 1 ? '' : 's'}`;
  process.stdout.write(`\nremoved the ${projects} the benches made (BENCH_KEEP=1 keeps them)\n`);
}
if (before.size > 0)
  process.stdout.write(`${before.size} older kontext-bench-* folders in ${tmpdir()} were left as they were\n`);
process.exitCode = crashed === 0 ? 0 : 1;
