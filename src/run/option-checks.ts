/**
 * The numbers a library caller passes in `RunRecipeOptions` (and an edit's seed), checked where
 * the library is entered (`runRecipe`, `WatchSession`, `runEdit`): a bad one is a usage error
 * (exit 64) naming the option, not a `TypeError` from deep inside (p-limit's "Expected
 * `concurrency`…" for `jobs: NaN`) or a timer Node clamps to 1 ms with a warning. The CLI's flags
 * are parsed stricter (cli/options.ts); these are the bounds past which a run cannot work.
 * `jobs` left out (a JavaScript caller) is the CLI's default, 4; a selection (`only`, `force`,
 * `reseed`) that is not a list of node patterns (a bare string: `only: 'bg'`) is a usage error.
 */
import { UsageError } from '../errors.js';
import { closest } from '../util/did-you-mean.js';
import { isProviderName } from '../models/registry.js';
import { PROVIDER_NAMES } from '../models/types.js';
import type { RunRecipeOptions } from './run-recipe.js';
import { MAX_SHARDS } from './shard.js';

/** The longest delay a Node timer keeps (2^31 − 1 ms, about 24.8 days); longer fires at once. */
const MAX_TIMER_MS = 2_147_483_647;

/** `jobs` when a caller leaves it out: `kontext run`'s `-j` default. */
const DEFAULT_JOBS = 4;

type Checked = Pick<
  RunRecipeOptions,
  | 'jobs'
  | 'maxCostUsd'
  | 'maxCostSpentUsd'
  | 'deadlineMs'
  | 'submitGraceMs'
  | 'outputRereadMs'
  | 'priceReadMs'
  | 'shard'
  | 'only'
  | 'force'
  | 'reseed'
  | 'provider'
>;

/**
 * Throws a `UsageError` for the first option out of its range or of the wrong kind; returns the
 * options with `jobs` defaulted (4) when left out.
 */
export function checkRunOptions<T extends Partial<Checked>>(options: T): T & { readonly jobs: number } {
  // A JavaScript caller may leave the object out: said as such, not a TypeError on destructuring.
  if (typeof options !== 'object' || options === null)
    throw new UsageError(`options must be an object, got ${options === null ? 'null' : typeof options}`, {
      hint: 'pass {} for the defaults (jobs: 4)',
    });
  checkKnownKeys(options);
  const { jobs, shard } = options;
  if (jobs !== undefined && !(Number.isSafeInteger(jobs) && jobs >= 1))
    throw bad('jobs', jobs, 'an integer of at least 1');
  checkProvider(options.provider);
  checkSelection('only', options.only, false);
  checkSelection('force', options.force, true);
  checkSelection('reseed', options.reseed, true);
  if (options.maxCostUsd !== null) inRange('maxCostUsd', options.maxCostUsd, 0, Number.MAX_VALUE);
  if (options.maxCostSpentUsd !== null) inRange('maxCostSpentUsd', options.maxCostSpentUsd, 0, Number.MAX_VALUE);
  inRange('deadlineMs', options.deadlineMs, 1, MAX_TIMER_MS);
  inRange('submitGraceMs', options.submitGraceMs, 0, MAX_TIMER_MS);
  inRange('priceReadMs', options.priceReadMs, 1, MAX_TIMER_MS);
  for (const ms of options.outputRereadMs ?? []) inRange('outputRereadMs', ms, 0, MAX_TIMER_MS);
  const whole = (n: number): boolean => Number.isSafeInteger(n) && n >= 1;
  if (shard !== undefined) {
    // A JavaScript caller may pass anything: `'3/2'` is shown as given, not as `undefined/undefined`.
    const spec = typeof shard === 'object' && shard !== null ? shard : null;
    if (!(spec && whole(spec.index) && whole(spec.count) && spec.index <= spec.count && spec.count <= MAX_SHARDS))
      throw bad(
        'shard',
        shard,
        `{ index, count } with whole numbers 1 ≤ index ≤ count ≤ ${MAX_SHARDS} (--shard i/n)`,
        spec ? `{ index: ${shownValue(spec.index)}, count: ${shownValue(spec.count)} }` : shownValue(shard),
      );
  }
  return { ...options, jobs: jobs ?? DEFAULT_JOBS };
}

/**
 * A provider to run every node on (`provider`, `--provider`): one of the names `--provider` takes.
 * Another was "model … is not available on nope", exit 65, as if the recipe were at fault.
 */
export function checkProvider(provider: unknown): void {
  if (provider !== undefined && (typeof provider !== 'string' || !isProviderName(provider)))
    throw bad('provider', provider, `one of ${PROVIDER_NAMES.join(', ')}`);
}

/** A selection: absent, a list of node patterns (strings), or (`force`, `reseed`) `'all'`. */
function checkSelection(name: string, value: unknown, all: boolean): void {
  if (value === undefined || (all && value === 'all')) return;
  if (Array.isArray(value) && value.every((p) => typeof p === 'string')) return;
  const what = `a list of node patterns${all ? " or 'all'" : ''}`;
  let shown = String(value);
  if (typeof value === 'string') shown = JSON.stringify(value);
  else if (Array.isArray(value)) shown = 'a list with a non-string';
  const hint = typeof value === 'string' ? { hint: `pass ${name}: [${JSON.stringify(value)}]` } : {};
  throw new UsageError(`${name} must be ${what}, got ${shown}`, hint);
}

/** An edit's `seed`: what a request's seed can be. */
export function checkSeed(seed: number | undefined): void {
  if (seed !== undefined && !(Number.isSafeInteger(seed) && seed >= 0 && seed <= 0xffff_ffff))
    throw bad('seed', seed, 'an integer from 0 to 4294967295');
}

function inRange(name: string, value: number | undefined, min: number, max: number): void {
  if (value !== undefined && !(Number.isFinite(value) && value >= min && value <= max))
    throw bad(name, value, numberRangeWords(min, max));
}

/**
 * The caller's `onEvent` (deps of `runRecipe`, `runEdit`, `new WatchSession`): a function. Left out
 * from JavaScript, the run went on, paid, and only then failed as a bug (exit 70).
 */
/** A library caller's deps: an object with a Runtime (`createRuntime()`) and an `onEvent` function. */
export function checkDeps(deps: unknown): void {
  const rt = typeof deps === 'object' && deps !== null ? (deps as { rt?: unknown }).rt : undefined;
  if (typeof rt !== 'object' || rt === null)
    throw new UsageError(`deps.rt must be a Runtime, got ${rt === null ? 'null' : typeof rt}`, {
      hint: "pass { rt: createRuntime(), onEvent: () => {} } (createRuntime from 'kontext')",
    });
  checkListener((deps as { onEvent?: unknown }).onEvent);
}

function checkListener(onEvent: unknown): void {
  if (typeof onEvent !== 'function')
    throw new UsageError(`onEvent must be a function, got ${onEvent === null ? 'null' : typeof onEvent}`, {
      hint: 'pass onEvent: () => {} to run without looking at the events',
    });
}

/** `a number from 1 to 10`, or `a number of 0 or more` with no real bound above (as cli/options.ts says). */
function numberRangeWords(min: number, max: number): string {
  return max === Number.MAX_VALUE ? `a number of ${min} or more` : `a number from ${min} to ${max}`;
}

/** A string is shown quoted: `jobs: '4'` is "got \"4\"", not a puzzling "got 4". */
function bad(name: string, value: unknown, what: string, shown = shownValue(value)): UsageError {
  return new UsageError(`${name} must be ${what}, got ${shown}`);
}

function shownValue(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/**
 * Every option `runRecipe` and `WatchSession` read. A key not among them is a usage error, with the
 * nearest name: `{ dry_run: true }` or `{ maxCost: 0 }` from JavaScript ran, and paid, as if left out
 * (walk-am 2), where the CLI refuses a flag it does not know.
 */
const RUN_OPTION_KEYS: Readonly<Record<keyof RunRecipeOptions, true>> = {
  jobs: true,
  dryRun: true,
  only: true,
  force: true,
  reseed: true,
  overwrite: true,
  keepGoing: true,
  maxCostUsd: true,
  maxCostFrom: true,
  maxCostSpentUsd: true,
  signal: true,
  deadlineMs: true,
  submitGraceMs: true,
  outputRereadMs: true,
  resubmitUncertain: true,
  shard: true,
  frozen: true,
  provider: true,
  hosting: true,
  cacheDir: true,
  trustHostingCommand: true,
  trustRecipeHosting: true,
  priceReadMs: true,
  noRemote: true,
  strict: true,
  allowOutsideRoot: true,
  explain: true,
};

function checkKnownKeys(options: object): void {
  for (const key of Object.keys(options)) {
    if (Object.hasOwn(RUN_OPTION_KEYS, key)) continue;
    const near = closest(key.replace(/[_-]/g, ''), Object.keys(RUN_OPTION_KEYS));
    throw new UsageError(`unknown option ${JSON.stringify(key)}`, {
      hint:
        near === undefined ? `the options are: ${Object.keys(RUN_OPTION_KEYS).join(', ')}` : `did you mean "${near}"?`,
    });
  }
}
