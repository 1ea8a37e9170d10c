/**
 * The run context: one place opens a run's store and hosting (reused by every scope of one
 * context, as watch cycles use it), picks the cache dir for runs and edits alike, and lets a
 * hosting go only once no run holds it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime } from '../../../src/runtime.js';
import { cacheDirFor, openRunContext, type RunTarget } from '../../../src/run/context.js';
import type { RunEvent } from '../../../src/run/events.js';
import { deferred } from '../../../src/util/deferred.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-context-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const target = (over: Partial<RunTarget> = {}): RunTarget => ({
  provider: 'emulator',
  projectRoot: dir,
  recipeFile: 'r.yml',
  ...over,
});

describe('run context', () => {
  it('resolves the cache dir the same way for every run: flag, then KONTEXT_CACHE_DIR, then .kontext', () => {
    const rt = createRuntime({ cwd: dir, env: {} });
    expect(cacheDirFor({ projectRoot: dir }, undefined, rt)).toBe(join(dir, '.kontext'));
    expect(cacheDirFor({ projectRoot: dir }, 'c', rt)).toBe(join(dir, 'c'));
    const withEnv = createRuntime({ cwd: dir, env: { KONTEXT_CACHE_DIR: 'e' } });
    expect(cacheDirFor({ projectRoot: dir }, undefined, withEnv)).toBe(join(dir, 'e'));
  });

  it('reuses the store and hosting across scopes, and takes the provider default hosting', async () => {
    const events: RunEvent[] = [];
    const context = openRunContext(
      { rt: createRuntime({ cwd: dir, env: { HOME: dir } }), onEvent: (e) => events.push(e) },
      { jobs: 2 },
    );
    try {
      const a = await context.scope(target());
      const b = await context.scope(target());
      expect(a.store.root).toBe(join(dir, '.kontext'));
      expect(b.store).toBe(a.store);
      expect(a.hostingConfig).toEqual({ mode: 'inline' });
      expect(b.hosting).toBe(a.hosting);
      const runcomfy = await context.scope(target({ provider: 'runcomfy' }));
      expect(runcomfy.hostingConfig).toBeNull();
      expect(runcomfy.hosting).toBeNull();
    } finally {
      await context.close();
    }
    expect(events).toEqual([]);
  });

  it('a hosting no longer chosen goes once no run holds it', async () => {
    const context = openRunContext({ rt: createRuntime({ cwd: dir, env: { HOME: dir } }), onEvent: () => {} }, {});
    try {
      const first = await context.scope(target());
      const run = deferred<void>();
      first.hold(run.promise);
      // Another hosting is chosen while the first is held: the first stays open and is reused.
      await context.scope(target({ provider: 'runcomfy' }));
      const again = await context.scope(target());
      expect(again.hosting).toBe(first.hosting);
      // Released and not chosen: it goes, and the next scope that wants inline gets a new one.
      await context.scope(target({ provider: 'runcomfy' }));
      run.resolve();
      await run.promise;
      await new Promise((r) => setImmediate(r));
      const later = await context.scope(target());
      expect(later.hosting).not.toBeNull();
      expect(later.hosting).not.toBe(first.hosting);
    } finally {
      await context.close();
    }
  });
});
