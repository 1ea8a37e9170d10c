#!/usr/bin/env node
// Part of `npm run build` (after tsc) and `npm pack` (prepack): remove from dist/ what tsc wrote
// for a source file that no longer exists (a module renamed, moved or deleted). tsc never removes
// its old outputs, so without this they stay importable from dist/ and ship in the package.
// Kept: what the build makes from no single source (dist/cli/main.cjs, help.txt, the code cache).
import { readdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const src = join(root, 'src');
const OUTPUT = /\.(d\.ts|js)(\.map)?$/;
const KEPT = new Set(['cli/main.cjs', 'cli/help.txt']);

const removed = [];
function prune(dir) {
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, d.name);
    const rel = relative(dist, path).split('\\').join('/');
    if (rel === 'cli/.code-cache' || KEPT.has(rel)) continue;
    if (d.isDirectory()) {
      prune(path);
      if (readdirSync(path).length === 0) rmdirSync(path);
      continue;
    }
    if (!OUTPUT.test(d.name)) continue;
    const source = join(src, `${rel.replace(OUTPUT, '')}.ts`);
    if (statSync(source, { throwIfNoEntry: false })?.isFile()) continue;
    rmSync(path, { force: true });
    removed.push(rel);
  }
}

if (statSync(dist, { throwIfNoEntry: false })?.isDirectory()) prune(dist);
if (removed.length > 0)
  process.stderr.write(`removed ${removed.length} file(s) of deleted sources from dist/: ${removed.join(', ')}\n`);
