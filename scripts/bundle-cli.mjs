#!/usr/bin/env node
// Part of `npm run build`, after tsc: bundle the CLI that tsc wrote into two files.
// - dist/cli/main.cjs: `main` and everything it imports, as CommonJS, so dist/cli/bin.js can run
//   it through a V8 code cache (src/cli/code-cache.ts; Node 20 has no compile cache for
//   modules). Resolving, linking and evaluating ~370 separate ES modules (our ~270 and zod's
//   ~95) cost a `kontext run` about 0.3 s of CPU before any work; compiling the one bundle
//   ~0.1 s more, which the code cache saves from the second run of a command on.
// - dist/cli/bin.js: the entry point (src/cli/bin-bundle.ts), small: `--version`/`--help`
//   answered without loading main.cjs.
// zod, yaml, commander and p-limit are bundled (plain JS, loaded by every command), and chokidar
// (ES modules only: see below); every other package is required by name when first used (sharp
// is native; the AWS SDK, undici and playwright are large). Re-running tsc (a test's
// `ensureBuilt`) leaves a working unbundled CLI.
// zod's `locales` namespace (its error messages in ~50 languages) is cut to English, the one
// zod sets and kontext uses: the other 49 were half of zod's 755 kB, which V8 parsed on every
// command start (about 25 ms of CPU of a 1,000-node `kontext report`).
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const cliDir = join(root, 'dist', 'cli');
const entry = join(cliDir, 'bin.js');
// `--out DIR`: write main.cjs and bin.js there instead (test/e2e/bundle.test.ts bundles what tsc
// wrote into a folder of its own, whatever state dist/cli/bin.js is in).
const outArg = process.argv.indexOf('--out');
const outDir = outArg === -1 ? cliDir : resolve(process.argv[outArg + 1] ?? '.');
const MARK = '// kontext: bundled by scripts/bundle-cli.mjs';
const BUNDLED = new Set(['zod', 'yaml', 'commander', 'p-limit', 'yocto-queue']);
const ESM_ONLY = new Set(['chokidar', 'readdirp']);

if (outDir === cliDir && readFileSync(entry, 'utf8').includes(MARK)) {
  console.error('dist/cli/bin.js is already bundled: run `npm run build` (tsc first)');
  process.exit(1);
}
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const external = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((name) => !BUNDLED.has(name));

for (const old of ['chunks', 'main.cjs', 'main.cjs.map', 'bin.js.map', '.code-cache'])
  rmSync(join(outDir, old), { recursive: true, force: true });
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  external,
  // No source maps: they would point at src/, which the package does not ship (tsconfig.json
  // emits none either); a stack trace names dist/ lines, and `--debug` prints it.
  sourcemap: false,
  logLevel: 'warning',
  // `import.meta` has no meaning in CommonJS: a module that needs it must not end up in main.cjs.
  logOverride: { 'empty-import-meta': 'error' },
};
await build({
  ...common,
  entryPoints: [join(cliDir, 'main.js')],
  outfile: join(outDir, 'main.cjs'),
  format: 'cjs',
  // A vm.Script run from a code cache cannot `import()` (Node 20 drops its dynamic-import
  // callback with the cached code): packages come through require(), and chokidar, the one
  // ES-module-only package (with readdirp), is bundled too.
  external: external.filter((name) => !ESM_ONLY.has(name)),
  supported: { 'dynamic-import': false },
  plugins: [englishOnlyZodLocales(), lazyChildProcessForCommander()],
  banner: { js: `'use strict';\n${MARK}` },
});
if (/\bimport\([^)]/.test(readFileSync(join(outDir, 'main.cjs'), 'utf8'))) {
  console.error(`${join(outDir, 'main.cjs')} still has an import(): it would fail when run from the code cache`);
  process.exit(1);
}
await build({
  ...common,
  entryPoints: [join(cliDir, 'bin-bundle.js')],
  outfile: join(outDir, 'bin.js'),
  allowOverwrite: true,
  format: 'esm',
  banner: { js: `#!/usr/bin/env node\n${MARK}` },
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

/**
 * commander requires `node:child_process` when it loads, for subcommands that are separate
 * executables, which kontext has none of: loading it (with `net` and the rest) cost every
 * command start ~12 ms of CPU. Inside commander it is a stand-in that requires the real module
 * on first use.
 */
function lazyChildProcessForCommander() {
  return {
    name: 'commander-lazy-child-process',
    setup(b) {
      b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
        /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer)
          ? { path: 'child_process', namespace: 'lazy-child-process' }
          : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: 'lazy-child-process' }, () => ({
        contents:
          "let real;\nconst load = () => (real ??= require('node:child_process'));\n" +
          'module.exports = new Proxy({}, { get: (_, key) => load()[key], has: (_, key) => key in load() });\n',
        loader: 'js',
      }));
    },
  };
}
