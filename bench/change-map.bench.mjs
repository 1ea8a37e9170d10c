// Change-map cost per node (src/review/): CPU (process.cpuUsage: the main thread and sharp's
// threads) and wall time of one review at 1024 px inputs, cold (a fresh reviewer: output, input
// and source all decoded) and in a chain (the run's reviewer: the input and the source are the
// previous node's images, already decoded). Goal: <= 15 ms CPU per node. Printed, not asserted.
// Also the scheduler bench's case: 64 px outputs of a 32 px source, where fixed costs dominate.
// BENCH_DIST: another build's dist folder (absolute), to measure a "before" with this same file.
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { median, root, row, tempProject } from './lib.mjs';

const dist = pathToFileURL(resolve(process.env.BENCH_DIST ?? join(root, 'dist'))).href;
const { Reviewer } = await import(`${dist}/review/index.js`);
const { openStore } = await import(`${dist}/store/index.js`);

const SIDE = 1024;
const NODES = Number(process.env.BENCH_NODES ?? 12);
const GOAL_MS = 15;

/** A smooth photo stand-in, shifted by `k` so every node's output differs from its input. */
function pixels(k) {
  const px = Buffer.alloc(SIDE * SIDE * 3);
  for (let y = 0; y < SIDE; y++)
    for (let x = 0; x < SIDE; x++) {
      const o = 3 * (y * SIDE + x);
      px[o] = 128 + 90 * Math.sin((x + 40 * k) / 57) * Math.cos(y / 71);
      px[o + 1] = 100 + 60 * Math.cos((x + y) / 91 + k);
      px[o + 2] = 128 + 100 * Math.sin(x / 23) * Math.cos((y + 30 * k) / 37);
      if (x > 300 + 20 * k && x < 500 + 20 * k && y > 300 && y < 560) px.set([220, 40, 40], o);
    }
  return px;
}

async function writeImage(path, k, format, side = SIDE) {
  let img = sharp(pixels(k), { raw: { width: SIDE, height: SIDE, channels: 3 } });
  if (side !== SIDE)
    img = sharp(await img.resize(side, side).raw().toBuffer(), { raw: { width: side, height: side, channels: 3 } });
  writeFileSync(path, await (format === 'jpeg' ? img.jpeg({ quality: 90 }) : img.png()).toBuffer());
  return path;
}

async function measure(reviewer, files) {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await reviewer.review(files);
  const cpu = process.cpuUsage(cpu0);
  return { cpu: (cpu.user + cpu.system) / 1000, wall: Number(process.hrtime.bigint() - t0) / 1e6 };
}

const fmt = (xs) => `${median(xs).toFixed(1)} ms (max ${Math.max(...xs).toFixed(1)})`;

async function scenario(dir, store, format, small = false) {
  const source = small
    ? await writeImage(join(dir, 'source-32.png'), 0, 'png', 32)
    : await writeImage(join(dir, 'source.jpg'), 0, 'jpeg');
  const outputs = [];
  for (let k = 1; k <= NODES; k++)
    outputs.push(await writeImage(join(dir, `out-${k}-${small}.${format}`), k, format, small ? 64 : SIDE));
  // Warm sharp up (library load, thread pool) so the first figure is not the import.
  await new Reviewer(store).review({ output: outputs[0], input: source, source });
  const cold = [];
  for (let k = 1; k < NODES; k++)
    cold.push(await measure(new Reviewer(store), { output: outputs[k], input: outputs[k - 1], source }));
  const chain = [];
  const reviewer = new Reviewer(store);
  await reviewer.review({ output: outputs[0], input: source, source });
  for (let k = 1; k < NODES; k++)
    chain.push(await measure(reviewer, { output: outputs[k], input: outputs[k - 1], source }));
  console.log(
    small
      ? 'change map per node, 64 px PNG outputs (32 px PNG source), compared at 64 px (the scheduler bench)'
      : `change map per node, ${SIDE} px ${format.toUpperCase()} outputs (JPEG source), compared at 256 px`,
  );
  const coldCpu = cold.map((m) => m.cpu);
  const chainCpu = chain.map((m) => m.cpu);
  row('  cold: output, input and source decoded, CPU', `<= ${GOAL_MS} ms`, fmt(coldCpu), median(coldCpu) <= GOAL_MS);
  row('  cold: wall', '-', fmt(cold.map((m) => m.wall)));
  row(
    '  in a chain (the run): only the output decoded, CPU',
    `<= ${GOAL_MS} ms`,
    fmt(chainCpu),
    median(chainCpu) <= GOAL_MS,
  );
  row('  in a chain: wall', '-', fmt(chain.map((m) => m.wall)));
}

const dir = tempProject('change-map');
try {
  const store = await openStore(join(dir, 'cache'));
  await scenario(dir, store, 'png');
  await scenario(dir, store, 'jpeg');
  await scenario(dir, store, 'png', true);
  // The floor of a PNG output: decoding it at all (zlib), before any review work.
  const png = join(dir, 'out-1-false.png');
  const decode = [];
  for (let i = 0; i < 10; i++) {
    const cpu0 = process.cpuUsage();
    await sharp(png).raw().toBuffer();
    const cpu = process.cpuUsage(cpu0);
    decode.push((cpu.user + cpu.system) / 1000);
  }
  row(`  for scale: decoding one ${SIDE} px PNG, CPU`, '-', fmt(decode));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
