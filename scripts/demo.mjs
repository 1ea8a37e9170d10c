#!/usr/bin/env node
// `npm run demo`: run every example recipe on the built-in emulator (no account, no network)
// through the real CLI, write each one's review sheet (`kontext report`), then say where the
// images are. Safe to run again: the second run is
// served from the cache and submits nothing.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const examples = join(root, 'recipes', 'examples');
const recipes = readdirSync(examples)
  .filter((f) => f.endsWith('.yml'))
  .sort();
const bin = join(root, 'dist', 'cli', 'bin.js');

let failed = 0;
for (const file of recipes) {
  const recipe = relative(process.cwd(), join(examples, file));
  process.stderr.write(`\n$ kontext run ${recipe}\n`);
  const r = spawnSync(process.execPath, [bin, 'run', recipe], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
  // The review sheet of what the run left (a static page; open it in any browser).
  process.stderr.write(`$ kontext report ${recipe}\n`);
  const report = spawnSync(process.execPath, [bin, 'report', recipe], { stdio: 'inherit' });
  if (report.status !== 0) failed++;
}
const out = relative(process.cwd(), join(examples, 'out'));
const done =
  `\nDone. The edited images are in ${out}/<recipe>/ (one file per node; open them: each is marked EMULATED),\n` +
  `and a review sheet of each recipe in ${out}/<recipe>/report/index.html (chains, variants, change maps).\n` +
  'Run `npm run demo` again: everything comes from the cache, with zero requests.\n';
process.stderr.write(failed === 0 ? done : `\n${failed} recipe(s) failed; see the messages above.\n`);
process.exitCode = failed === 0 ? 0 : 1;
