/**
 * The merge driver (`mergeLockFiles`) in a real git work tree: a node both sides changed whose
 * output file git tracks is left conflicted (git merges that file too: the work tree holds ours,
 * no witness), unless both entries name the same bytes at the same path (nothing for git to merge
 * there); an output git does not track (out/ ignored) still decides by the file; two entries
 * asking different requests are left conflicted wherever their outputs are.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, mergeLockFiles } from '../../../src/index.js';
import { parseConflictedLock } from '../../../src/store/lock-conflict.js';
import { formatLock, parseLock } from '../../../src/store/lock-file.js';
import type { LockEntry } from '../../../src/store/types.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
const entry = (n: number, bytes: string, request = 'a'): LockEntry => ({
  seed: n,
  key: String(n).repeat(64),
  input_sha256: 'b'.repeat(64),
  output_sha256: sha(bytes),
  output: 'out/p/x.png',
  provider: 'emulator',
  model: 'm',
  request_id: `id${n}`,
  finished_at: '2025-01-01T00:00:00.000Z',
  request_sha256: request.repeat(64).slice(0, 64),
});

/** A git work tree whose out/p/x.png holds "ours" (tracked or ignored); the driver merges base/ours/theirs. */
async function merge(o: { tracked: boolean; ours: LockEntry; theirs: LockEntry; driverPath?: string }) {
  const tree = await mkdtemp(join(tmpdir(), 'kontext-mergetracked-'));
  dirs.push(tree);
  const env = { PATH: process.env['PATH'] ?? '', HOME: tree, GIT_CONFIG_NOSYSTEM: '1' };
  execFileSync('git', ['init', '-q', tree], { env });
  await mkdir(join(tree, 'out', 'p'), { recursive: true });
  await writeFile(join(tree, 'out', 'p', 'x.png'), 'ours');
  if (!o.tracked) await writeFile(join(tree, '.gitignore'), 'out/\n');
  execFileSync('git', ['add', '-A'], { cwd: tree, env });
  const lock = (e: LockEntry): string => formatLock({ version: 1, nodes: { x: e } });
  await writeFile(join(tree, 'base'), lock(entry(1, 'base')));
  await writeFile(join(tree, 'ours'), lock(o.ours));
  await writeFile(join(tree, 'theirs'), lock(o.theirs));
  const rt = createRuntime({ cwd: tree, env: { ...env, PATH: o.driverPath ?? env.PATH } });
  const files = { base: 'base', ours: 'ours', theirs: 'theirs', lockPath: 'p.lock.json', cacheDir: join(tree, 'c') };
  const result = await mergeLockFiles(files, rt);
  return { result, text: await readFile(join(tree, 'ours'), 'utf8') };
}

describe('kontext merge-lock and outputs git tracks', () => {
  it('tracked, two different results: left conflicted, both entries in the hunk', async () => {
    const [ours, theirs] = [entry(2, 'ours'), entry(3, 'theirs')];
    const { result, text } = await merge({ tracked: true, ours, theirs });
    expect(result.conflicted).toEqual(['x']);
    expect(result.message).not.toContain('by the output file');
    const sides = parseConflictedLock(text, 'p.lock.json', parseLock);
    expect(sides?.ours.nodes['x']).toEqual(ours);
    expect(sides?.theirs.nodes['x']).toEqual(theirs);
  });

  it('tracked, the same bytes at the same path on both sides: decided, no conflict', async () => {
    const { result, text } = await merge({ tracked: true, ours: entry(2, 'ours'), theirs: entry(3, 'ours') });
    expect(result.conflicted).toEqual([]);
    expect(text).not.toMatch(/^<{7}/m);
  });

  it('ignored: the file decides, as before', async () => {
    const { result, text } = await merge({ tracked: false, ours: entry(2, 'theirs'), theirs: entry(3, 'ours') });
    expect(result.conflicted).toEqual([]);
    expect(result.message).toMatch(/x: by the output file\)$/);
    expect((JSON.parse(text) as { nodes: { x: LockEntry } }).nodes.x.seed).toBe(3);
  });

  // review-h: a git that cannot answer (not on the driver's PATH) is no proof the file is untracked.
  it('ignored, but no git on PATH to say so: left conflicted, not judged by a file that may be ours', async () => {
    const { result } = await merge({
      tracked: false,
      ours: entry(2, 'theirs'),
      theirs: entry(3, 'ours'),
      driverPath: '',
    });
    expect(result.conflicted).toEqual(['x']);
    expect(result.message).not.toContain('by the output file');
  });

  it('ignored, but the two entries ask different requests: left conflicted', async () => {
    const { result } = await merge({ tracked: false, ours: entry(2, 'ours', 'c'), theirs: entry(3, 'theirs', 'd') });
    expect(result.conflicted).toEqual(['x']);
  });
});
