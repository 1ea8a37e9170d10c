/**
 * The bundled CLI's start-up with a V8 code cache (docs/architecture.md#the-bundled-cli).
 * Node 20 has no compile cache for modules (`module.enableCompileCache` came in Node 22), so
 * every start parsed and compiled the 1.7 MB bundle again: ~0.1 s of a 1,000-node no-op run.
 * The bundle's body is CommonJS (`main.cjs`), run through `vm.Script` with the cached data V8
 * produced after an earlier run of the same command (so the functions that command called are
 * in it, not only the top level).
 *
 * The cache files live beside the bundle (`.code-cache/`), so they are exactly as trusted as
 * the code they were made from: whoever can write there can already change the bundle. A
 * folder we cannot write (a root-owned global install) just means no cache. A file's name holds
 * the command, Node's version and arch, and the bundle's size, mtime and inode: V8 itself checks
 * only the source's length, so a rebuilt bundle must never meet the cache of the old one.
 *
 * What a cache holds is what the run that saved it had compiled when it ended, so two things
 * keep that complete: V8's bytecode flushing is off in this process (a run of minutes, such as
 * the first `kontext run` of a recipe, had dropped the bytecode of its start-up functions by
 * its end: its cache held 0.78 MB instead of 1.3 MB, and every later start compiled them again,
 * ~0.1 s of CPU), and a run that fails saves only a provisional cache (`.partial.bin`), which
 * the next successful run replaces (a mistyped recipe path compiles little of the command).
 */
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import Module, { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';
import { crc32 } from 'node:zlib';

export interface CachedModule<T> {
  readonly exports: T;
  /** Whether V8 accepted a cache file (nothing to compile for what it holds). */
  readonly hit: boolean;
  /**
   * Write the cache when there was none (or V8 rejected it, or a failed run made it and this one,
   * `exitCode` 0, succeeded): call it after the command ran, so the functions it compiled are
   * included. Never throws; a folder we cannot write is no error.
   */
  save(exitCode?: number): void;
}

/** The commands that get a cache of their own (a test checks this against commander's help). */
export const CACHED_COMMANDS: ReadonlySet<string> = new Set([
  'validate',
  'plan',
  'run',
  'status',
  'report',
  'edit',
  'emulator',
  'pick',
  'clean',
  'gc',
  'push',
  'merge-lock',
  'providers',
]);

/** A command name as a file-name part: the first word when it names a command, else `other` (a typo makes no file). */
export function cacheTag(argv: readonly string[]): string {
  const first = argv[0] ?? '';
  return CACHED_COMMANDS.has(first) ? first : 'other';
}

/** Load the CommonJS file `file` (its `module.exports`) with the code cache for `tag`. */
export function loadWithCodeCache<T>(file: string, tag: string): CachedModule<T> {
  // The key and the text from one open file: a rebuild in between cannot pair old code with a new key.
  const fd = openSync(file, 'r');
  let source: string;
  let stats: { size: number; mtimeMs: number; ino: number };
  try {
    stats = fstatSync(fd);
    source = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  const { size, mtimeMs, ino } = stats;
  const dir = join(dirname(file), '.code-cache');
  const build = `${basename(file)}-${size}-${Math.trunc(mtimeMs * 1000)}-${ino}`;
  const path = join(dir, `${tag}-${process.version}-${process.arch}-${build}.bin`);
  const partial = path.replace(/\.bin$/, '.partial.bin');
  const complete = readCache(path);
  const cachedData = complete ?? readCache(partial);
  // Before anything is compiled, and in every process, so the flags V8 checks a cache against match.
  setFlagsFromString('--no-flush-bytecode');
  const script = new Script(Module.wrap(source), {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  });
  const module = { exports: {} as T };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  const hit = cachedData !== undefined && !script.cachedDataRejected;
  return {
    exports: module.exports,
    hit,
    save: (exitCode = 0) => {
      if (exitCode !== 0) {
        if (!hit) writeCache(dir, partial, build, script.createCachedData());
      } else if (!hit || complete === undefined) {
        if (writeCache(dir, path, build, script.createCachedData())) removeQuietly(partial);
      }
    },
  };
}

/**
 * The cached data in `path`, or `undefined` when there is none or its CRC-32 trailer does not
 * match: V8 checks a cache's header but not its payload, and would run a flipped byte.
 */
function readCache(path: string): Buffer | undefined {
  let file: Buffer;
  try {
    file = readFileSync(path);
  } catch {
    return undefined;
  }
  if (file.length <= 4) return undefined;
  const data = file.subarray(0, file.length - 4);
  return crc32(data) === file.readUInt32BE(file.length - 4) ? data : undefined;
}

/**
 * Write `data` and its CRC-32 to `path` atomically (temp + rename); drop the caches of other
 * builds. True when written.
 */
function writeCache(dir: string, path: string, build: string, data: Buffer): boolean {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    const trailer = Buffer.alloc(4);
    trailer.writeUInt32BE(crc32(data));
    writeFileSync(tmp, Buffer.concat([data, trailer]), { flag: 'wx' });
    renameSync(tmp, path);
    // Other builds' caches, and temps of writes a kill cut short (a live writer's loses only its cache).
    for (const name of readdirSync(dir))
      if (!name.includes(build) || name.endsWith('.tmp')) rmSync(join(dir, name), { force: true });
    return true;
  } catch {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // The folder itself is not there (or not a folder): nothing was written.
    }
    return false;
  }
}

function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // Left for the next successful run (the complete cache is read first).
  }
}
