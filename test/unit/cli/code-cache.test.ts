/**
 * The bundled CLI's V8 code cache (src/cli/code-cache.ts): a second load takes V8's cached
 * code, a rebuilt file never meets the cache of the old one (V8 checks only the length), a bad
 * or unwritable cache costs only the cache.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CACHED_COMMANDS, cacheTag, loadWithCodeCache } from '../../../src/cli/code-cache.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A CommonJS file with a few functions, so V8 has code worth caching. */
function bundle(value: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'kontext-code-cache-'));
  dirs.push(dir);
  const file = join(dir, 'main.cjs');
  writeFileSync(file, source(value));
  return file;
}

function source(value: number): string {
  return `'use strict';
const path = require('node:path');
function twice(x) { return 2 * x; }
exports.value = () => twice(${value}) / 2;
exports.sep = () => path.sep;
exports.dirname = __dirname;
`;
}

const cacheFiles = (file: string): string[] => {
  try {
    return readdirSync(join(file, '..', '.code-cache'));
  } catch {
    return [];
  }
};

type Exports = { value(): number; sep(): string; dirname: string };

describe('loadWithCodeCache', () => {
  it('runs the file as CommonJS; the second load takes the cache the first one saved', () => {
    const file = bundle(7);
    const first = loadWithCodeCache<Exports>(file, 'run');
    expect(first.exports.value()).toBe(7);
    expect(first.exports.sep()).toBe('/');
    expect(first.exports.dirname).toBe(join(file, '..'));
    expect(first.hit).toBe(false);
    expect(cacheFiles(file)).toEqual([]); // saved only once the command ran
    first.save();
    const [saved] = cacheFiles(file);
    expect(saved).toMatch(new RegExp(`^run-${process.version.replace(/\./g, '\\.')}-${process.arch}-main\\.cjs-`));

    const second = loadWithCodeCache<Exports>(file, 'run');
    expect(second.hit).toBe(true);
    expect(second.exports.value()).toBe(7);
    const before = statSync(join(file, '..', '.code-cache', saved ?? ''));
    second.save(); // a hit writes nothing
    const after = statSync(join(file, '..', '.code-cache', saved ?? ''));
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    // Another command has its own cache (the functions it compiles differ).
    expect(loadWithCodeCache<Exports>(file, 'status').hit).toBe(false);
  });

  it('never runs the cache of an older build of the same length', () => {
    const file = bundle(7);
    loadWithCodeCache<Exports>(file, 'run').save();
    const old = cacheFiles(file);
    writeFileSync(file, source(8)); // same length, new content
    utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    const rebuilt = loadWithCodeCache<Exports>(file, 'run');
    expect(rebuilt.exports.value()).toBe(8);
    expect(rebuilt.hit).toBe(false);
    rebuilt.save();
    // The old build's cache is dropped when the new one is written.
    expect(cacheFiles(file)).toHaveLength(1);
    expect(cacheFiles(file)).not.toEqual(old);
  });

  it.each([
    ['garbage', (_: Buffer) => Buffer.alloc(4096, 0x5a)],
    // V8 checks a cache's header, not its payload: the CRC trailer catches this one.
    [
      'one flipped byte',
      (b: Buffer) => Buffer.from(b).fill((b[b.length - 40] ?? 0) ^ 0xff, b.length - 40, b.length - 39),
    ],
    ['cut short', (b: Buffer) => b.subarray(0, b.length >> 1)],
    ['empty', (_: Buffer) => Buffer.alloc(0)],
  ])('a bad cache file (%s) is not used, the code runs, and the file is written again', (_, spoil) => {
    const file = bundle(5);
    loadWithCodeCache<Exports>(file, 'run').save();
    const path = join(file, '..', '.code-cache', cacheFiles(file)[0] ?? '');
    const bad = spoil(readFileSync(path));
    writeFileSync(path, bad);
    const loaded = loadWithCodeCache<Exports>(file, 'run');
    expect(loaded.hit).toBe(false);
    expect(loaded.exports.value()).toBe(5);
    loaded.save();
    expect(readFileSync(path).equals(bad)).toBe(false);
    expect(loadWithCodeCache<Exports>(file, 'run').hit).toBe(true);
  });

  it('writing a cache also drops a temp that a killed writer left behind', () => {
    const file = bundle(4);
    loadWithCodeCache<Exports>(file, 'run').save();
    const [saved] = cacheFiles(file);
    const leftover = join(file, '..', '.code-cache', `${saved ?? ''}.999999.tmp`);
    writeFileSync(leftover, 'half');
    loadWithCodeCache<Exports>(file, 'status').save();
    expect(cacheFiles(file).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(cacheFiles(file)).toHaveLength(2);
  });

  it('a failed run saves a provisional cache, which the next successful run replaces', () => {
    const file = bundle(6);
    loadWithCodeCache<Exports>(file, 'run').save(66); // e.g. a mistyped recipe path
    expect(cacheFiles(file)).toEqual([expect.stringMatching(/\.partial\.bin$/)]);
    const failedAgain = loadWithCodeCache<Exports>(file, 'run');
    expect(failedAgain.hit).toBe(true); // still better than nothing
    failedAgain.save(1);
    expect(cacheFiles(file)).toEqual([expect.stringMatching(/\.partial\.bin$/)]);
    const ok = loadWithCodeCache<Exports>(file, 'run');
    expect(ok.hit).toBe(true);
    ok.save(0);
    const [complete] = cacheFiles(file);
    expect(cacheFiles(file)).toHaveLength(1);
    expect(complete).not.toMatch(/partial/);
    // From then on a failing run leaves the complete cache alone.
    const later = loadWithCodeCache<Exports>(file, 'run');
    expect(later.hit).toBe(true);
    later.save(1);
    expect(cacheFiles(file)).toEqual([complete]);
  });

  it('keeps what a long run compiled: bytecode is not flushed before the cache is saved', () => {
    // V8 drops the bytecode of functions not run for a while; --stress-flush-code makes it do
    // so at every GC. A cache saved after GCs must still hold the start-up functions.
    const file = bundle(2);
    const names = Array.from({ length: 40 }, (_, i) => `f${i}`);
    const fns = names.map(
      (f, i) => `function ${f}(x) { let s = 0; for (let k = 0; k < x; k++) s += k * ${i}; return s; }`,
    );
    const calls = names.map((f) => `${f}(3)`).join(', ');
    writeFileSync(file, `'use strict';\n${fns.join('\n')}\nexports.start = () => [${calls}].length;\n`);
    const child = join(file, '..', 'child.mjs');
    writeFileSync(
      child,
      `const { loadWithCodeCache } = await import(process.argv[2]);
const loaded = loadWithCodeCache(process.argv[3], process.argv[4]);
loaded.exports.start();
if (process.argv[4] === 'run')
  for (let i = 0; i < 5; i++) {
    const junk = [];
    for (let k = 0; k < 1e5; k++) junk.push({ k });
    globalThis.gc();
    await new Promise((r) => setTimeout(r, 1));
  }
loaded.save(0);
`,
    );
    const codeCache = join(import.meta.dirname, '../../../src/cli/code-cache.ts');
    const size = (tag: string): number => {
      const r = spawnSync(
        process.execPath,
        ['--expose-gc', '--stress-flush-code', '--import', 'tsx', child, codeCache, file, tag],
        { encoding: 'utf8' },
      );
      expect(r.status, r.stderr).toBe(0);
      const name = cacheFiles(file).find((n) => n.startsWith(`${tag}-`));
      return statSync(join(file, '..', '.code-cache', name ?? 'missing')).size;
    };
    const short = size('status'); // saved right after start-up
    expect(size('run')).toBeGreaterThanOrEqual(short * 0.9); // flushed, it was about a tenth
  });

  it('a cache folder that cannot be made costs only the cache, and leaves no temp file', () => {
    const file = bundle(3);
    writeFileSync(join(file, '..', '.code-cache'), 'not a folder');
    const loaded = loadWithCodeCache<Exports>(file, 'run');
    expect(() => loaded.save()).not.toThrow();
    expect(loaded.exports.value()).toBe(3);
    expect(readdirSync(join(file, '..')).sort()).toEqual(['.code-cache', 'main.cjs']);
  });
});

describe('cacheTag', () => {
  it('is the command word, or `other` for anything that does not name a command', () => {
    expect(cacheTag(['run', 'r.yml'])).toBe('run');
    expect(cacheTag(['emulator'])).toBe('emulator');
    expect(cacheTag(['--json', 'run'])).toBe('other');
    expect(cacheTag(['../../etc/passwd'])).toBe('other');
    expect(cacheTag(['Run'])).toBe('other');
    expect(cacheTag(['frobnicate'])).toBe('other'); // a typo must not leave a 1.3 MB file
    expect(cacheTag([])).toBe('other');
  });

  it('knows every command commander offers', async () => {
    const { renderHelp } = await import('../../../src/cli/help-text.js');
    const help = await renderHelp();
    const from = help.indexOf('Commands:');
    const section = help.slice(from, help.indexOf('\n\n', from));
    const names = [...section.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]).filter((n) => n !== 'help');
    expect(names.length).toBeGreaterThan(8);
    expect(new Set(names)).toEqual(CACHED_COMMANDS);
  });
});
