#!/usr/bin/env node
// Issue 4 targets: a no-op re-run of a fully cached 1,000-node recipe < 1.5 s wall (the whole
// CLI process); RSS for 10,000 cached nodes < 300 MB. The cache is filled through the store's
// own API with the runner's own key function (a real emulator run of 10,000 requests would
// take minutes on 2 cores and measure the emulator, not the no-op path).
import { join } from 'node:path';
import sharp from 'sharp';
import { buildPlan, createRuntime, loadRecipe } from '../dist/index.js';
import { keyFor } from '../dist/run/node-request.js';
import { openStore } from '../dist/store/index.js';
import { maxRssMb, median, row, tempProject, timeCli, write } from './lib.mjs';

async function project(instances, passes) {
  const dir = tempProject(`noop-${instances}x${passes}`);
  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#336699' } })
    .png()
    .toBuffer();
  for (let i = 0; i < instances; i++)
    write(join(dir, 'in', `item-${String(i).padStart(5, '0')}.png`), Buffer.concat([png, Buffer.from(String(i))]));
  const body = Array.from(
    { length: passes },
    (_, k) =>
      `  - id: pass-${k + 1}\n    prompt: Keep the object unchanged. Replace the background with color ${k + 1}.\n`,
  ).join('');
  write(
    join(dir, 'r.yml'),
    `version: 1\nprovider: emulator\ndefaults: { seed: 11 }\nsources:\n  items: "in/*.png"\npasses:\n${body}`,
  );
  return dir;
}

/** Record every node as done, exactly as the runner would key it. */
async function fillCache(dir) {
  const rt = createRuntime({ cwd: dir });
  const recipe = await loadRecipe('r.yml', { rt });
  const plan = buildPlan(recipe);
  const store = await openStore(join(dir, '.kontext'));
  const out = new Map();
  for (const node of plan.nodes) {
    const input =
      node.input.kind === 'node' ? out.get(node.input.id) : (await store.hashSource(node.input.path)).sha256;
    const key = keyFor(node, 'emulator', input, node.seed);
    const sha = await store.putBlob(Buffer.from(`output of ${node.id}`));
    await store.putRecord({
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
    });
    out.set(node.id, sha);
  }
  await store.flush();
  return plan.nodes.length;
}

for (const [instances, passes, target] of [
  [250, 4, 1500],
  [2500, 4, null],
]) {
  const dir = await project(instances, passes);
  const nodes = await fillCache(dir);
  const first = timeCli(['run', 'r.yml'], { cwd: dir });
  if (first.status !== 0) throw new Error(`first run failed: ${first.stderr}`);
  if (!/submitted 0/.test(first.stderr)) throw new Error(`expected a no-op run: ${first.stderr.slice(-300)}`);
  const again = median([0, 1, 2].map(() => timeCli(['run', 'r.yml'], { cwd: dir }).ms));
  const rss = maxRssMb(['run', 'r.yml'], { cwd: dir });
  console.log(`${nodes} cached nodes (${instances} instances × ${passes} passes)`);
  row(`  first no-op run (writes outputs + lock)`, '-', `${first.ms.toFixed(0)} ms`);
  row(
    `  no-op re-run, whole CLI process (median of 3)`,
    target ? `< ${target} ms` : '-',
    `${again.toFixed(0)} ms`,
    target ? again < target : undefined,
  );
  row(
    `  max RSS of the no-op re-run`,
    nodes >= 10000 ? '< 300 MB' : '-',
    rss === null ? 'n/a' : `${rss.toFixed(0)} MB`,
    nodes >= 10000 && rss !== null ? rss < 300 : undefined,
  );
}
