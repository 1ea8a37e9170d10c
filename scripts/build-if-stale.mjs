#!/usr/bin/env node
// Build dist/ only when something it is made from changed since the last build: `npm run demo`
// (and `npm run bench`) start at once on a second run. `npm run build` always rebuilds.
// Inputs: src/**, scripts/gen-help.mjs, scripts/bundle-cli.mjs, tsconfig.json, package.json, package-lock.json.
// A failed build leaves the stamp old, so it is retried next time.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// The last file every successful `npm run build` writes.
const stamp = join(root, 'dist', 'cli', 'help.txt');

function newest(paths) {
  let max = 0;
  for (const p of paths) {
    const s = statSync(p, { throwIfNoEntry: false });
    if (!s) continue;
    if (!s.isDirectory()) {
      max = Math.max(max, s.mtimeMs);
      continue;
    }
    for (const d of readdirSync(p, { recursive: true, withFileTypes: true })) {
      if (d.isFile()) max = Math.max(max, statSync(join(d.parentPath, d.name)).mtimeMs);
    }
  }
  return max;
}

const inputs = [
  'src',
  'scripts/gen-help.mjs',
  'scripts/bundle-cli.mjs',
  'tsconfig.json',
  'package.json',
  'package-lock.json',
];
const built = statSync(stamp, { throwIfNoEntry: false })?.mtimeMs ?? 0;
if (built > 0 && built >= newest(inputs.map((p) => join(root, p)))) {
  process.stderr.write('dist/ is up to date (npm run build forces a rebuild)\n');
} else {
  const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
