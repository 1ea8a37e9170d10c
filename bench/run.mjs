#!/usr/bin/env node
// `npm run bench`: every bench/*.bench.mjs in its own process, one after the other (they
// measure time and memory, so they must not share a process or run side by side).
// `npm run bench -- recipe noop` runs only the named ones. Figures are printed, never asserted.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();
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
process.exitCode = crashed === 0 ? 0 : 1;
