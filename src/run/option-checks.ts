/**
 * The numbers a library caller passes in `RunRecipeOptions` (and an edit's seed), checked where
 * the library is entered (`runRecipe`, `WatchSession`, `runEdit`): a bad one is a usage error
 * (exit 64) naming the option, not a `TypeError` from deep inside (p-limit's "Expected
 * `concurrency`…" for `jobs: NaN`) or a timer Node clamps to 1 ms with a warning. The CLI's flags
 * are parsed stricter (cli/options.ts); these are the bounds past which a run cannot work.
 */
import { UsageError } from '../errors.js';
import type { RunRecipeOptions } from './run-recipe.js';

/** The longest delay a Node timer keeps (2^31 − 1 ms, about 24.8 days); longer fires at once. */
const MAX_TIMER_MS = 2_147_483_647;

type Checked = Pick<
  RunRecipeOptions,
  'jobs' | 'maxCostUsd' | 'maxCostSpentUsd' | 'deadlineMs' | 'submitGraceMs' | 'outputRereadMs' | 'shard'
>;

/** Throws a `UsageError` for the first option out of its range. */
export function checkRunOptions(options: Partial<Checked>): void {
  const { jobs, shard } = options;
  if (jobs !== undefined && !(Number.isSafeInteger(jobs) && jobs >= 1))
    throw bad('jobs', jobs, 'an integer of at least 1');
  inRange('maxCostUsd', options.maxCostUsd, 0, Number.MAX_VALUE);
  if (options.maxCostSpentUsd !== null) inRange('maxCostSpentUsd', options.maxCostSpentUsd, 0, Number.MAX_VALUE);
  inRange('deadlineMs', options.deadlineMs, 1, MAX_TIMER_MS);
  inRange('submitGraceMs', options.submitGraceMs, 0, MAX_TIMER_MS);
  for (const ms of options.outputRereadMs ?? []) inRange('outputRereadMs', ms, 0, MAX_TIMER_MS);
  const whole = (n: number): boolean => Number.isSafeInteger(n) && n >= 1;
  if (shard !== undefined && !(whole(shard.index) && whole(shard.count) && shard.index <= shard.count))
    throw bad('shard', `${shard.index}/${shard.count}`, 'i/n with whole numbers 1 ≤ i ≤ n');
}

/** An edit's `seed`: what a request's seed can be. */
export function checkSeed(seed: number | undefined): void {
  if (seed !== undefined && !(Number.isSafeInteger(seed) && seed >= 0 && seed <= 0xffff_ffff))
    throw bad('seed', seed, 'an integer from 0 to 4294967295');
}

function inRange(name: string, value: number | undefined, min: number, max: number): void {
  if (value !== undefined && !(Number.isFinite(value) && value >= min && value <= max))
    throw bad(name, value, `a number from ${min} to ${max}`);
}

function bad(name: string, value: unknown, what: string): UsageError {
  return new UsageError(`${name} must be ${what}, got ${String(value)}`);
}
