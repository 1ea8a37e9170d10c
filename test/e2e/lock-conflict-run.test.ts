/**
 * A lock with git conflict markers meeting `kontext run` (src/run/lock-resolve.ts), with real
 * CLI processes against the emulator. Both sides hold a result of `backdrop` (the second a
 * re-seed), both in the cache, its output file gone: the `save:` copy, holding theirs, decides
 * (not ours). A run stopped by its preflight (no token: exit 77) leaves the conflicted lock byte
 * for byte and says it is conflicted; `--dry-run` never writes it.
 */
import { mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatLock } from '../../src/store/lock-file.js';
import type { LockEntry } from '../../src/store/types.js';
import { cli } from '../helpers/cli-spawn.js';
import { paid, project, runcomfyEnv, submits, useEmulator } from '../helpers/e2e-kit.js';

const emulator = useEmulator();

const RECIPE = `version: 1
name: test
provider: runcomfy
hosting: { mode: inline }
sources:
  portrait: assets/portrait-astronaut.jpg
passes:
  - id: backdrop
    from: portrait
    prompt: Keep the person unchanged. Replace the background with a grey studio backdrop.
    save: final/{source}.{ext}
`;
const HAT = `  - id: hat
    from: portrait
    prompt: Keep everything else unchanged. Add a red wool hat.
`;

type Lock = { readonly nodes: Record<string, LockEntry> };

/** The lines of one node's entry as the lock holds it. */
function entryLines(id: string, e: LockEntry): string[] {
  const lines = formatLock({ version: 1, nodes: { [id]: e } }).split('\n');
  return lines.slice(2, lines.indexOf('  },'));
}

/**
 * `backdrop` run, then re-seeded (both results in the cache; the save: copy holds the second);
 * the lock made conflicted as git would (HEAD: the first entry, theirs: the second) and the
 * output file removed. Returns the project, the two entries and the conflicted text.
 */
async function conflicted(): Promise<{ root: string; ours: LockEntry; theirs: LockEntry; text: string }> {
  const root = await project(RECIPE);
  const env = runcomfyEnv(emulator(), root);
  const lockPath = join(root, 'recipe.lock.json');
  const entry = async (): Promise<LockEntry> =>
    (JSON.parse(await readFile(lockPath, 'utf8')) as Lock).nodes['backdrop'] as LockEntry;
  expect(await paid(emulator(), ['run', 'recipe.yml'], root, env)).toBe(1);
  const ours = await entry();
  expect(await paid(emulator(), ['run', 'recipe.yml', '--reseed', 'backdrop'], root, env)).toBe(1);
  const theirs = await entry();
  expect(theirs.output_sha256).not.toBe(ours.output_sha256);
  const text = [
    '{',
    '  "nodes": {',
    '<<<<<<< HEAD',
    ...entryLines('backdrop', ours),
    '=======',
    ...entryLines('backdrop', theirs),
    '>>>>>>> other',
    '  },',
    '  "version": 1',
    '}',
    '',
  ].join('\n');
  await writeFile(lockPath, text);
  await rm(join(root, ours.output));
  expect(await readdir(join(root, 'final'))).toHaveLength(1);
  return { root, ours, theirs, text };
}

describe('kontext run on a conflicted lock', () => {
  it('the output file gone, the save: copy decides: theirs, for 0 requests', async () => {
    const { root, theirs } = await conflicted();
    const env = runcomfyEnv(emulator(), root);
    const status = await cli(['status', 'recipe.yml', '--json'], { cwd: root, env });
    const s = JSON.parse(status.stdout) as { lock_conflict: { decided: unknown[]; message: string } };
    expect(s.lock_conflict.decided).toEqual([{ node: 'backdrop', rule: 'save' }]);

    const before = submits(emulator());
    const run = await cli(['run', 'recipe.yml', '--json'], { cwd: root, env });
    expect(run.code, run.stderr).toBe(0);
    expect(submits(emulator()) - before).toBe(0);
    expect(run.stdout).toMatch(
      /resolved and written \(1 entry: 1 by the save: copy on disk\); by the save: copy: backdrop"/,
    );
    const lock = JSON.parse(await readFile(join(root, 'recipe.lock.json'), 'utf8')) as Lock;
    expect(lock.nodes['backdrop']).toEqual(theirs);
    // The output restored from the cache: theirs, as the copy.
    const copy = await readFile(join(root, 'final', (await readdir(join(root, 'final')))[0] as string));
    expect(await readFile(join(root, theirs.output))).toEqual(copy);
  }, 60_000);

  it('the output file checked out as the git LFS pointer to ours: it decides, before the save: copy', async () => {
    const { root, ours } = await conflicted();
    const env = runcomfyEnv(emulator(), root);
    const oid = ours.output_sha256;
    const size = (await readFile(join(root, 'final', (await readdir(join(root, 'final')))[0] as string))).length;
    await writeFile(
      join(root, ours.output),
      `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${size}\n`,
    );
    const status = await cli(['status', 'recipe.yml', '--json'], { cwd: root, env });
    const s = JSON.parse(status.stdout) as { lock_conflict: { decided: unknown[] } };
    expect(s.lock_conflict.decided).toEqual([{ node: 'backdrop', rule: 'file' }]);
    const before = submits(emulator());
    const run = await cli(['run', 'recipe.yml'], { cwd: root, env });
    expect(run.code, run.stderr).toBe(0);
    expect(submits(emulator()) - before).toBe(0);
    const lock = JSON.parse(await readFile(join(root, 'recipe.lock.json'), 'utf8')) as Lock;
    expect(lock.nodes['backdrop']).toEqual(ours);
  }, 60_000);

  it('kill -9 before the merge replaces the lock: it stays conflicted; the next run sweeps the temp', async () => {
    const { root, theirs, text } = await conflicted();
    const env = runcomfyEnv(emulator(), root);
    const lockPath = join(root, 'recipe.lock.json');
    const hooks = { KONTEXT_TEST_HOOKS: '1', KONTEXT_TEST_CRASH_AT: 'lock-resolved-temp-written' };
    const killed = await cli(['run', 'recipe.yml'], { cwd: root, env: { ...env, ...hooks } });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(await readFile(lockPath, 'utf8')).toBe(text);
    const temps = async (): Promise<string[]> => (await readdir(root)).filter((n) => n.endsWith('.tmp'));
    const [temp, ...more] = await temps();
    expect(more).toEqual([]);
    // Complete (fsynced before the rename): the merge itself.
    const merged = JSON.parse(await readFile(join(root, temp as string), 'utf8')) as Lock;
    expect(merged.nodes['backdrop']).toEqual(theirs);

    expect(await paid(emulator(), ['run', 'recipe.yml'], root, env)).toBe(0);
    expect((JSON.parse(await readFile(lockPath, 'utf8')) as Lock).nodes['backdrop']).toEqual(theirs);
    expect(await temps()).toEqual([]);
  }, 60_000);

  it('a save: copy that is a link out of the project is not read: it decides nothing', async () => {
    const { root } = await conflicted();
    // The copy (holding theirs) moved outside and linked back, as a stranger's branch can commit it.
    const name = (await readdir(join(root, 'final')))[0] as string;
    const outside = await mkdtemp(join(tmpdir(), 'kontext-outside-'));
    try {
      await rename(join(root, 'final', name), join(outside, name));
      await symlink(join(outside, name), join(root, 'final', name));
      const env = runcomfyEnv(emulator(), root);
      const status = await cli(['status', 'recipe.yml', '--json'], { cwd: root, env });
      const s = JSON.parse(status.stdout) as { lock_conflict: { decided: { rule: string }[] } };
      expect(s.lock_conflict.decided.map((d) => d.rule)).not.toContain('save');
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  }, 60_000);

  it('no token (exit 77): the conflicted lock is left byte for byte, and the run says it is conflicted', async () => {
    const { root, text } = await conflicted();
    await writeFile(join(root, 'recipe.yml'), RECIPE + HAT); // a request to pay: the preflight needs the token
    const { RUNCOMFY_TOKEN: _, ...env } = runcomfyEnv(emulator(), root);
    const lockPath = join(root, 'recipe.lock.json');

    const json = await cli(['run', 'recipe.yml', '--json'], { cwd: root, env });
    expect(json.code, json.stderr).toBe(77);
    expect(json.stdout).toMatch(
      /"type":"notice".*recipe\.lock\.json has 1 git conflict: left as it is, the run having/,
    );
    expect(await readFile(lockPath, 'utf8')).toBe(text);
    const plain = await cli(['run', 'recipe.yml'], { cwd: root, env });
    expect(plain.code).toBe(77);
    expect(plain.stdout + plain.stderr).toContain('recipe.lock.json has 1 git conflict: left as it is');
    expect(await readFile(lockPath, 'utf8')).toBe(text);

    // --dry-run runs the same preflight (77 here) and writes nothing, with or without the token.
    const dry = await cli(['run', 'recipe.yml', '--dry-run'], { cwd: root, env });
    expect(dry.code).toBe(77);
    expect(dry.stdout + dry.stderr).toContain('git conflict');
    const withToken = runcomfyEnv(emulator(), root);
    expect((await cli(['run', 'recipe.yml', '--dry-run'], { cwd: root, env: withToken })).code).toBe(0);
    expect(await readFile(lockPath, 'utf8')).toBe(text);

    // With the token the run resolves it and pays only for the new pass.
    expect(await paid(emulator(), ['run', 'recipe.yml'], root, withToken)).toBe(1);
    expect(await readFile(lockPath, 'utf8')).not.toMatch(/^<{7}/m);
  }, 60_000);
});
