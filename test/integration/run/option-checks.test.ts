/**
 * A library caller's bad number in the run options is a usage error (E_USAGE, exit 64) naming the
 * option, at `runRecipe`, `new WatchSession` and `runEdit`: `jobs: NaN` was p-limit's bare
 * TypeError ("Expected `concurrency` to be a number from 1 and up"), with no code or exit code.
 * A selection that is not a list (`only: 'bg'`) was "patterns.flatMap is not a function"; `jobs`
 * left out was p-limit's TypeError too, though it defaults to 4. A `WatchSession` with `frozen` (or
 * `shard`) ignored it and paid; it is refused as `run --watch --frozen` is.
 */
import { readdir } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  KontextError,
  pushRecipe,
  recipeStatus,
  runRecipe,
  type RunEvent,
  type RunRecipeOptions,
} from '../../../src/index.js';
import { runEdit } from '../../../src/run/edit.js';
import { WatchSession } from '../../../src/watch/watch-session.js';
import { createProject, recipeYaml, testRuntime, type Project } from '../../helpers/run-fixtures.js';

let project: Project;
beforeEach(async () => {
  project = await createProject(recipeYaml([['sky', 'Make the sky pink']]));
});
afterEach(async () => {
  await project.cleanup();
});

function expectUsage(error: unknown, option: string): void {
  expect(error).toBeInstanceOf(KontextError);
  expect(error).toMatchObject({ code: 'E_USAGE', exitCode: 64 });
  expect((error as Error).message).toMatch(new RegExp(`^${option} must be `));
}

const BAD: readonly [string, Partial<RunRecipeOptions>][] = [
  ['jobs', { jobs: Number.NaN }],
  ['jobs', { jobs: 0 }],
  ['jobs', { jobs: 1.5 }],
  ['jobs', { jobs: Number.POSITIVE_INFINITY }],
  ['maxCostUsd', { maxCostUsd: Number.NaN }],
  ['maxCostUsd', { maxCostUsd: -1 }],
  ['maxCostSpentUsd', { maxCostSpentUsd: -0.5 }],
  ['deadlineMs', { deadlineMs: Number.POSITIVE_INFINITY }],
  ['deadlineMs', { deadlineMs: 0 }],
  ['submitGraceMs', { submitGraceMs: 3e9 }],
  ['outputRereadMs', { outputRereadMs: [10, Number.NaN] }],
  ['shard', { shard: { index: 2, count: 1 } }],
  ['shard', { shard: { index: 0.5, count: 2 } }],
  // A JavaScript caller's string where the list of node patterns goes.
  ['only', { only: 'sky' as unknown as string[] }],
  ['force', { force: 'sky' as unknown as string[] }],
  ['reseed', { reseed: 'sky' as unknown as string[] }],
  ['only', { only: [1] as unknown as string[] }],
  // A provider no table knows (as --provider's choices refuse it): was exit 65, "model … is not available on nope".
  ['provider', { provider: 'nope' } as unknown as Partial<RunRecipeOptions>],
];

/** The error `new WatchSession(…)` throws with these options, or `undefined` (the session closed again). */
async function watchError(options: Partial<RunRecipeOptions>): Promise<unknown> {
  let session: WatchSession;
  try {
    session = new WatchSession(project.recipe, options as RunRecipeOptions, {
      rt: testRuntime(project.root),
      onEvent: () => {},
    });
  } catch (e) {
    return e;
  }
  await session.close();
  return undefined;
}

describe('run options a library caller passes', () => {
  it.each(BAD)('runRecipe: a bad %s is a usage error before anything runs', async (option, bad) => {
    const events: RunEvent[] = [];
    const error = await runRecipe(
      project.recipe,
      { jobs: 2, ...bad },
      { rt: testRuntime(project.root), onEvent: (e) => events.push(e) },
    ).catch((e: unknown) => e);
    expectUsage(error, option);
    expect(events).toEqual([]);
    expect(await readdir(project.root)).not.toContain('out');
  });

  it.each([
    [{ frozen: true, force: ['sky'] }, '--frozen cannot be combined with --force'],
    [{ frozen: true, reseed: 'all' }, '--frozen cannot be combined with --reseed'],
    [{ shard: { index: 1, count: 2 }, noRemote: true }, '--shard cannot be combined with --no-remote'],
  ] as const)('runRecipe: %j is refused as the CLI refuses it (exit 64, not 65 or a run)', async (bad, message) => {
    const events: RunEvent[] = [];
    const options = { jobs: 2, ...bad } as unknown as RunRecipeOptions;
    const error = await runRecipe(project.recipe, options, {
      rt: testRuntime(project.root),
      onEvent: (e) => events.push(e),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_USAGE', exitCode: 64, message: expect.stringContaining(message) });
    expect(events).toEqual([]);
  });

  it('runRecipe: good numbers still run (jobs 1, --max-cost 0 with nothing billable, a shard)', async () => {
    const rt = testRuntime(project.root);
    const first = await runRecipe(project.recipe, { jobs: 1 }, { rt, onEvent: () => undefined });
    expect(first.kind === 'run' && first.summary.exitCode).toBe(0);
    const again = await runRecipe(
      project.recipe,
      { jobs: 1, maxCostUsd: 0, maxCostSpentUsd: null, deadlineMs: 60_000, shard: { index: 1, count: 1 } },
      { rt, onEvent: () => undefined },
    );
    expect(again.kind === 'run' && again.summary.cached).toBe(1);
  });

  it('runRecipe: an option it does not know is a usage error naming the nearest, before anything runs', async () => {
    const rt = testRuntime(project.root);
    const tries: [Record<string, unknown>, string, string][] = [
      [{ dry_run: true }, 'dry_run', 'dryRun'],
      [{ dryrun: true }, 'dryrun', 'dryRun'],
      [{ maxCost: 0 }, 'maxCost', 'maxCostUsd'],
    ];
    for (const [options, key, near] of tries) {
      const error = await runRecipe(project.recipe, options as RunRecipeOptions, { rt, onEvent: () => {} }).catch(
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'E_USAGE', exitCode: 64, message: `unknown option "${key}"` });
      expect((error as KontextError).hint).toBe(`did you mean "${near}"?`);
    }
    expect(await readdir(project.root)).not.toContain('recipe.lock.json'); // nothing ran (walk-am 2: each paid 2)
    expect(await watchError({ jobs: 2, dryrun: true } as Partial<RunRecipeOptions>)).toMatchObject({
      code: 'E_USAGE',
      message: 'unknown option "dryrun"',
    });
  });

  it('runRecipe: KONTEXT_MAX_COST in its runtime holds it as it holds kontext run; null is no limit', async () => {
    const rt = testRuntime(project.root, { KONTEXT_MAX_COST: '0.01' });
    const error = await runRecipe(project.recipe, {}, { rt, onEvent: () => {} }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_MAX_COST' });
    expect((error as Error).message).toMatch(/over KONTEXT_MAX_COST \$0\.01; nothing was submitted/);
    expect(await readdir(project.root)).not.toContain('recipe.lock.json'); // walk-am 1: it paid 2
    const unlimited = await runRecipe(project.recipe, { maxCostUsd: null }, { rt, onEvent: () => {} });
    expect(unlimited.kind === 'run' && unlimited.summary).toMatchObject({ exitCode: 0, done: 1 });
  });

  it('runRecipe: jobs left out is 4 (the CLI default), force: "all" still a selection', async () => {
    const events: RunEvent[] = [];
    const rt = testRuntime(project.root);
    const options = { force: 'all' } as unknown as RunRecipeOptions;
    const result = await runRecipe(project.recipe, options, { rt, onEvent: (e) => events.push(e) });
    expect(result.kind === 'run' && result.summary).toMatchObject({ exitCode: 0, done: 1 });
    expect(events.find((e) => e.type === 'run-start')).toMatchObject({ jobs: 4 });
    const again = await runRecipe(project.recipe, { jobs: undefined } as unknown as RunRecipeOptions, {
      rt,
      onEvent: () => undefined,
    });
    expect(again.kind === 'run' && again.summary.cached).toBe(1);
  });

  it('new WatchSession: frozen or shard is a usage error at once (as in run --watch), never ignored', async () => {
    expect(await watchError({ jobs: 2, frozen: true })).toMatchObject({
      code: 'E_USAGE',
      exitCode: 64,
      message: '--watch cannot be combined with --frozen',
    });
    expect(await watchError({ jobs: 2, shard: { index: 1, count: 2 } })).toMatchObject({
      code: 'E_USAGE',
      message: '--watch cannot be combined with --shard',
    });
    expect(await watchError({ jobs: 2, frozen: false })).toBeUndefined();
  });

  it('new WatchSession: a selection that is not a list is a usage error at once, not a silent cycle', async () => {
    for (const option of ['only', 'force', 'reseed'])
      expectUsage(await watchError({ jobs: 2, [option]: 'sky' }), option);
    expect(await watchError({ force: 'all' })).toBeUndefined();
  });

  it('new WatchSession: jobs NaN is a usage error at once, not a TypeError in its first cycle', () => {
    let error: unknown;
    try {
      new WatchSession(project.recipe, { jobs: Number.NaN }, { rt: testRuntime(project.root), onEvent: () => {} });
    } catch (e) {
      error = e;
    }
    expectUsage(error, 'jobs');
  });

  it('runEdit: a seed no request can carry is a usage error, nothing submitted', async () => {
    const events: RunEvent[] = [];
    const error = await runEdit(
      { image: 'assets/pet-chelsea.jpg', prompt: 'Add a red bow tie.', seed: -1, provider: 'emulator' },
      { rt: testRuntime(project.root), onEvent: (e) => events.push(e) },
    ).catch((e: unknown) => e);
    expectUsage(error, 'seed');
    expect(events).toEqual([]);
    const provider = await runEdit(
      { image: 'assets/pet-chelsea.jpg', prompt: 'Add a red bow tie.', provider: 'nope' as 'emulator' },
      { rt: testRuntime(project.root), onEvent: (e) => events.push(e) },
    ).catch((e: unknown) => e);
    expectUsage(provider, 'provider');
    expect((provider as Error).message).toBe(
      'provider must be one of runcomfy, emulator, bfl, fal, replicate, got "nope"',
    );
  });

  it('the message shows what a JavaScript caller passed: a string quoted, a shard string as given', async () => {
    const messageOf = (options: object): Promise<string> =>
      runRecipe(project.recipe, { jobs: 2, ...options } as unknown as RunRecipeOptions, {
        rt: testRuntime(project.root),
        onEvent: () => undefined,
      }).then(
        () => 'ran',
        (e: unknown) => (e as Error).message,
      );
    expect(await messageOf({ shard: '3/2' })).toBe(
      'shard must be { index, count } with whole numbers 1 ≤ index ≤ count ≤ 1000 (--shard i/n), got "3/2"',
    );
    expect(await messageOf({ shard: { index: 3, count: 2 } })).toMatch(/, got \{ index: 3, count: 2 \}$/);
    // As --shard caps n (walk-y 6): a count past 1000 would only make assignShards' table huge.
    expect(await messageOf({ shard: { index: 1, count: 1001 } })).toMatch(/, got \{ index: 1, count: 1001 \}$/);
    expect(await messageOf({ jobs: '4' })).toBe('jobs must be an integer of at least 1, got "4"');
    expect(await messageOf({ maxCostUsd: -1 })).toBe('maxCostUsd must be a number of 0 or more, got -1');
  });

  it('recipeStatus and pushRecipe refuse a provider --provider would refuse, as runRecipe does', async () => {
    const rt = testRuntime(project.root);
    const nope = { provider: 'nope' } as unknown as { provider: 'emulator' };
    for (const attempt of [
      () => recipeStatus(project.recipe, nope, { rt }),
      () => pushRecipe(project.recipe, nope, { rt }),
    ])
      expectUsage(await attempt().catch((e: unknown) => e), 'provider');
  });

  it('onEvent left out (JavaScript) is a usage error before anything runs, not exit 70 after paying', async () => {
    const rt = testRuntime(project.root);
    const noListener = { rt } as unknown as Parameters<typeof runRecipe>[2];
    for (const attempt of [
      () => runRecipe(project.recipe, { jobs: 1 }, noListener),
      () =>
        runEdit({ image: 'assets/pet-chelsea.jpg', prompt: 'Add a red bow tie.', provider: 'emulator' }, noListener),
      async () => new WatchSession(project.recipe, { jobs: 1 }, noListener),
    ]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'E_USAGE',
        exitCode: 64,
        message: 'onEvent must be a function, got undefined',
      });
    }
    expect(await readdir(project.root)).not.toContain('out');
  });

  it('options or rt left out (JavaScript) is a usage error naming it; options {} takes the defaults', async () => {
    const rt = testRuntime(project.root);
    const onEvent = (): void => undefined;
    const noRt = { onEvent } as unknown as Parameters<typeof runRecipe>[2];
    const noOptions = undefined as unknown as Parameters<typeof runRecipe>[1];
    for (const attempt of [
      () => runRecipe(project.recipe, { jobs: 1 }, noRt),
      () => runEdit({ image: 'assets/pet-chelsea.jpg', prompt: 'Add a red bow tie.', provider: 'emulator' }, noRt),
      async () => new WatchSession(project.recipe, { jobs: 1 }, noRt),
    ])
      expect(await attempt().catch((e: unknown) => e)).toMatchObject({
        code: 'E_USAGE',
        message: 'deps.rt must be a Runtime, got undefined',
      });
    expect(await runRecipe(project.recipe, noOptions, { rt, onEvent }).catch((e: unknown) => e)).toMatchObject({
      code: 'E_USAGE',
      message: 'options must be an object, got undefined',
    });
    expect(await readdir(project.root)).not.toContain('out');
    const result = await runRecipe(project.recipe, {}, { rt, onEvent });
    expect(result.kind === 'run' && result.summary.exitCode).toBe(0);
  });
});
