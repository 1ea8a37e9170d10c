#!/usr/bin/env node
// Part of `npm run build`, after tsc: bundle the CLI that tsc wrote (dist/cli/bin.js and what
// it imports) into dist/cli/bin.js plus dist/cli/chunks/ (one chunk per lazily imported
// command). Node 20 has no compile cache, and resolving, linking and evaluating ~370 separate
// ES modules (our ~270 and zod's ~95) cost a `kontext run` about 0.3 s of CPU before any
// work; the bundle is a handful of files. The library (dist/index.js) is left as tsc wrote it.
// zod, yaml, commander and p-limit are bundled (plain JS, loaded by every command); every other
// package stays an import (sharp is native; the AWS SDK, undici, chokidar and playwright load
// only when used). Re-running tsc (a test's `ensureBuilt`) leaves a working unbundled CLI.
// zod's `locales` namespace (its error messages in ~50 languages) is cut to English, the one
// zod sets and kontext uses: the other 49 were half of zod's 755 kB, which V8 parsed on every
// command start (about 25 ms of CPU of a 1,000-node `kontext report`).
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const cliDir = join(root, 'dist', 'cli');
const entry = join(cliDir, 'bin.js');
const MARK = '// kontext: bundled by scripts/bundle-cli.mjs';
const BUNDLED = new Set(['zod', 'yaml', 'commander', 'p-limit', 'yocto-queue']);

if (readFileSync(entry, 'utf8').includes(MARK)) {
  console.error('dist/cli/bin.js is already bundled: run `npm run build` (tsc first)');
  process.exit(1);
}
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const external = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((name) => !BUNDLED.has(name));

rmSync(join(cliDir, 'chunks'), { recursive: true, force: true });
await build({
  entryPoints: [entry],
  outdir: cliDir,
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'warning',
  plugins: [englishOnlyZodLocales()],
  // yaml is CommonJS and calls require('process'): give each chunk a real require.
  banner: {
    js: [
      MARK,
      "import { createRequire as __kontextCreateRequire } from 'node:module';",
      'const require = __kontextCreateRequire(import.meta.url);',
    ].join('\n'),
  },
});

/** Resolves zod's `../locales/index.js` (imported only for the `locales` namespace) to English alone. */
function englishOnlyZodLocales() {
  return {
    name: 'zod-locales-en',
    setup(b) {
      b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
        /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
          ? { path: join(args.resolveDir, '..', 'locales', 'index.js'), namespace: 'zod-locales-en' }
          : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: 'zod-locales-en' }, (args) => ({
        contents: "export { default as en } from './en.js';\n",
        resolveDir: join(args.path, '..'),
        loader: 'js',
      }));
    },
  };
}
