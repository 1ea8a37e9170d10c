/**
 * Two projects sharing one cache (`KONTEXT_CACHE_DIR`), the same node in both (same key), the
 * BUILT CLI as real children. Project A's run has paid for and recorded the node and is frozen
 * before its lock (cli/test-hooks.ts `after-record`): its journal entry is still what a kill -9
 * of it re-attaches by. Project B's run takes A's record as a cache hit (no payment) and locks
 * it with A's request id; B's next run must leave A's live entry alone. Before the fix, that run
 * took the entry as "settled" by its own lock and removed it, and A, once going again, wrote it
 * back with a false "the cache dir was deleted during the run" warning.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../../src/index.js';
import { ensureBuilt } from '../../helpers/cli-spawn.js';
import { journalEntries } from '../../helpers/journal-files.js';
import { runChildren, runcomfyAt } from '../../helpers/run-children.js';
import { acceptedByPrompt, createProject, recipeYaml, until, type Project } from '../../helpers/run-fixtures.js';

const PROMPT = 'Keep the face unchanged. Make the sky orange.';
const RECIPE = recipeYaml([['a', PROMPT, 'seed: 11']], ['hosting: { mode: inline }']).replace(
  'provider: emulator',
  'provider: runcomfy',
);

let emulator: EmulatorHandle | undefined;
const projects: Project[] = [];
const children = runChildren();

beforeAll(ensureBuilt, 180_000);
afterEach(async () => {
  children.killAll();
  await emulator?.close();
  for (const p of projects.splice(0)) await p.cleanup();
  emulator = undefined;
});

describe('two projects sharing a cache, one node in both', () => {
  it("a run of B leaves the journal entry of A's live run alone, though B's lock names its request", async () => {
    emulator = await startEmulator({ queueMs: 20, runMs: 100 });
    const a = await createProject(RECIPE);
    const b = await createProject(RECIPE);
    projects.push(a, b);
    const cache = join(a.root, 'shared-cache');
    const env = { ...runcomfyAt(emulator), KONTEXT_CACHE_DIR: cache };
    const pause = join(a.root, 'a.paused');
    const hooks = { KONTEXT_TEST_HOOKS: '1', KONTEXT_TEST_PAUSE_AT: 'after-record', KONTEXT_TEST_PAUSE_FILE: pause };
    const runA = children.run(a, { ...env, ...hooks });
    await until(() => existsSync(pause), 20_000, 'A to record its result', runA.output);
    const [entry] = await journalEntries(cache);
    expect(entry?.request_id).toBeDefined();

    // B takes A's record (A's entry is a live run's: B waits for the record, it is there).
    const first = await children.run(b, env).done;
    expect(first.code, first.stderr).toBe(0);
    expect((await b.readLock()).nodes['a']?.request_id).toBe(entry?.request_id);
    expect(await journalEntries(cache)).toEqual([entry]);
    // B again: its lock proves the request finished, but the entry is A's, and A is alive.
    const second = await children.run(b, env).done;
    expect(second.code, second.stderr).toBe(0);
    expect(await journalEntries(cache)).toEqual([entry]);

    await rm(pause);
    const doneA = await runA.done;
    expect(doneA.code, doneA.stderr).toBe(0);
    expect(doneA.stderr).not.toMatch(/was deleted during the run/);
    expect(await journalEntries(cache)).toEqual([]);
    expect(acceptedByPrompt(emulator.requestLog()).get(PROMPT)).toBe(1);
  }, 60_000);
});
