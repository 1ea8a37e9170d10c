#!/usr/bin/env node
// Issue 2 targets: validate + plan of 1,000 glob instances × 10 passes (10,000 nodes) < 1 s;
// `kontext --help` / `--version` < 150 ms (commands are imported lazily).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { buildPlan, createRuntime, validateRecipeFile } from '../dist/index.js';
import { median, row, tempProject, timeCli, write } from './lib.mjs';

const dir = tempProject('recipe');
// Sources must be real images (validation sniffs them): one tiny PNG, written 1,000 times.
const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } })
  .png()
  .toBuffer();
for (let i = 0; i < 1000; i++) writeFileSync(join(dir, `shot-${String(i).padStart(4, '0')}.png`), png);
const passes = Array.from(
  { length: 10 },
  (_, k) =>
    `  - id: step-${k + 1}\n` +
    '    prompt: Keep the product and the lighting unchanged. ' +
    `Replace the background with plain color number ${k + 1}.\n`,
).join('');
write(join(dir, 'batch.yml'), `version: 1\nprovider: emulator\nsources:\n  shots: "*.png"\npasses:\n${passes}`);

const rt = createRuntime({ cwd: dir });
const times = [];
let nodes = 0;
for (let i = 0; i < 6; i++) {
  const t0 = process.hrtime.bigint();
  const result = await validateRecipeFile('batch.yml', { rt });
  if (!result.recipe) throw new Error(result.problems.map((p) => p.message).join('\n'));
  nodes = buildPlan(result.recipe).nodes.length;
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
const warm = median(times.slice(1));
const cold = timeCli(['plan', '--json', 'batch.yml'], { cwd: dir });

// This VM's timing is noisy (shared host): interleave the three commands, 15 rounds, and report
// the minimum (the machine's best case) and the median.
const runs = { node: [], help: [], version: [] };
for (let i = 0; i < 15; i++) {
  const t0 = process.hrtime.bigint();
  spawnSync(process.execPath, ['-e', '0']);
  runs.node.push(Number(process.hrtime.bigint() - t0) / 1e6);
  runs.help.push(timeCli(['--help']).ms);
  runs.version.push(timeCli(['--version']).ms);
}
const fmt = (xs) => `median ${median(xs).toFixed(0)} ms, min ${Math.min(...xs).toFixed(0)} ms`;
console.log(`validate + plan: ${nodes} nodes`);
row('validate + plan, 10,000 nodes (in process, first run)', '< 1000 ms', `${times[0].toFixed(0)} ms`, times[0] < 1000);
row('validate + plan, 10,000 nodes (in process, median warm)', '< 1000 ms', `${warm.toFixed(0)} ms`, warm < 1000);
row('`kontext plan --json` on it (whole process, cold)', '-', `${cold.ms.toFixed(0)} ms (exit ${cold.status})`);
row('`kontext --help` (15 runs)', '< 150 ms', fmt(runs.help), median(runs.help) < 150);
row('`kontext --version` (15 runs)', '< 150 ms', fmt(runs.version), median(runs.version) < 150);
row('bare `node -e 0` on this machine, for scale (15 runs)', '-', fmt(runs.node));
row('kontext --help over bare node (medians)', '-', `${(median(runs.help) - median(runs.node)).toFixed(0)} ms`);
