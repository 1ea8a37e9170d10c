/**
 * The entry point of the bundled CLI (scripts/bundle-cli.mjs makes it dist/cli/bin.js): the
 * same as bin.ts, but `main` comes from the CommonJS bundle `main.cjs` beside it, through the
 * V8 code cache (code-cache.ts).
 */
import { fileURLToPath } from 'node:url';
import { cacheTag, loadWithCodeCache } from './code-cache.js';
import { launch } from './launch.js';
import type { main } from './main.js';

await launch((argv) => {
  const bundle = fileURLToPath(new URL('./main.cjs', import.meta.url));
  const loaded = loadWithCodeCache<{ main: typeof main }>(bundle, cacheTag(argv));
  return { main: loaded.exports.main, done: (exitCode) => loaded.save(exitCode) };
});
