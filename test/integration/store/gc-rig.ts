/**
 * What the gc tests share (gc.test.ts, gc-memo.test.ts): a temp store and lock file per test, records
 * with blobs of a given size, ageing files, a lock naming entries, a snapshot of the cache.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import { gcStore, type GcOptions } from '../../../src/store/gc.js';
import { openStore, updateLock, type LockEntry, type RunRecord, type Store } from '../../../src/store/index.js';

export const DAY = 86_400_000;
export const sha = (s: string | Uint8Array): string => createHash('sha256').update(s).digest('hex');
/** The running test's clock (set before each test: a module is evaluated once per fork). */
export let now = Date.now();

/** The running test's temp folder, its store and lock file (set by {@link useGcRig}'s hooks). */
export const rig = { dir: '', store: undefined as unknown as Store, lockFile: '' };

/** A fresh temp folder and store before each test of the calling file, removed after it. */
export function useGcRig(): void {
  beforeEach(async () => {
    now = Date.now();
    rig.dir = await mkdtemp(join(tmpdir(), 'kontext-gc-'));
    rig.store = await openStore(join(rig.dir, 'cache'));
    rig.lockFile = join(rig.dir, 'recipe.lock.json');
  });
  afterEach(() => rm(rig.dir, { recursive: true, force: true }));
}

export interface Entry {
  readonly key: string;
  readonly blob: string;
  readonly recordPath: string;
  readonly blobPath: string;
}

/** A record named `name` whose output blob holds `size` bytes (or the given bytes). */
export async function put(name: string, size: number, bytes?: Uint8Array): Promise<Entry> {
  const blob = await rig.store.putBlob(bytes ?? Buffer.alloc(size, name));
  const key = sha(`key:${name}`);
  const rec: RunRecord = {
    key,
    node: name,
    provider: 'emulator',
    model: 'm',
    seed: 1,
    input_sha256: sha(`in:${name}`),
    output_sha256: blob,
    media_type: 'image/png',
    ext: 'png',
    request_id: `req-${name}`,
    finished_at: '2025-01-01T00:00:00.000Z',
  };
  await rig.store.putRecord(rec);
  return {
    key,
    blob,
    recordPath: join(rig.store.root, 'records', key.slice(0, 2), `${key}.json`),
    blobPath: rig.store.blobPath(blob),
  };
}

export async function age(paths: readonly string[], ms: number): Promise<void> {
  const t = (now - ms) / 1000;
  for (const p of paths) await utimes(p, t, t);
}

export async function lockOn(entries: Record<string, { key: string; output: string; input: string }>): Promise<void> {
  await updateLock(rig.lockFile, (nodes) => {
    for (const [id, e] of Object.entries(entries)) {
      const entry: LockEntry = {
        seed: 1,
        key: e.key,
        input_sha256: e.input,
        output_sha256: e.output,
        output: `out/${id}.png`,
        provider: 'emulator',
        model: 'm',
        request_id: `req-${id}`,
        finished_at: '2025-01-01T00:00:00.000Z',
      };
      nodes[id] = entry;
    }
  });
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Every file under the cache with its mtime: a dry run must leave this unchanged. */
export async function snapshot(): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(rig.store.root, { recursive: true, withFileTypes: true })) {
    if (!d.isFile()) continue;
    const p = join(d.parentPath, d.name);
    out.push(`${p} ${(await stat(p)).mtimeMs}`);
  }
  return out.sort();
}

/** No remaining record points to a missing blob. */
export async function noDanglingRecords(): Promise<void> {
  for (const d of await readdir(join(rig.store.root, 'records'), { recursive: true, withFileTypes: true })) {
    if (!d.isFile() || !d.name.endsWith('.json') || d.name.startsWith('.')) continue;
    const rec = await rig.store.getRecord(d.name.slice(0, -5));
    expect(rec, `record ${d.name} lost its blob`).not.toBeNull();
  }
}

export const gc = (options: Partial<GcOptions>) =>
  gcStore(rig.store.root, { lockFiles: [rig.lockFile], now: () => now, ...options });
