/**
 * Where a run's spending limit comes from, and how messages name it. `--max-cost` wins; without
 * it, `KONTEXT_MAX_COST` (CI), then the user config's `max_cost`, is the limit: a recipe from a
 * stranger cannot spend past what its runner set once for every run (walk-t 8: a 20,000-node
 * recipe priced $800 and ran without a word).
 */
import { UsageError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import { loadUserConfig } from '../recipe/user-config.js';

/** The limit as messages name it, and what to do to raise it or go without it. */
export interface CostLimitSource {
  /** `--max-cost`, `KONTEXT_MAX_COST`, or `max_cost (~/.config/kontext/config.json)`. */
  readonly name: string;
  readonly raise: string;
  readonly drop: string;
}

export const FLAG_LIMIT: CostLimitSource = { name: '--max-cost', raise: 'raise --max-cost', drop: 'drop --max-cost' };

/** The limit a run without `--max-cost` has (`undefined`: none), with its source. */
export async function defaultCostLimit(
  rt: Runtime,
): Promise<{ readonly usd: number; readonly from: CostLimitSource } | undefined> {
  const env = rt.env['KONTEXT_MAX_COST'];
  if (env !== undefined && env !== '') {
    const usd = /^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(env) ? Number(env) : Number.NaN;
    if (!Number.isFinite(usd))
      throw new UsageError(`KONTEXT_MAX_COST must be an amount in US dollars (0 or more), not "${env}"`, {
        hint: 'KONTEXT_MAX_COST=5 stops any run that would cost more than $5 before it submits anything',
      });
    return {
      usd,
      from: {
        name: 'KONTEXT_MAX_COST',
        raise: 'raise KONTEXT_MAX_COST or pass a higher --max-cost',
        drop: 'pass --no-max-cost, or unset KONTEXT_MAX_COST',
      },
    };
  }
  const config = await loadUserConfig(rt);
  if (config.max_cost === undefined) return undefined;
  const file = config.file ?? 'the user config';
  return {
    usd: config.max_cost,
    from: {
      name: `max_cost (${file})`,
      raise: 'pass a higher --max-cost',
      drop: `pass --no-max-cost, or remove max_cost from ${file}`,
    },
  };
}

/**
 * A library call's options with its limit resolved: `maxCostUsd` left out takes
 * {@link defaultCostLimit} (a CI job's `KONTEXT_MAX_COST` held a `kontext run` but not a
 * `runRecipe` of the same recipe: walk-am 1); `null` is no limit at all; a number stays.
 */
export async function withDefaultCostLimit<
  T extends { readonly maxCostUsd?: number | null | undefined; readonly maxCostFrom?: CostLimitSource | undefined },
>(options: T, rt: Runtime): Promise<Omit<T, 'maxCostUsd'> & { readonly maxCostUsd?: number | undefined }> {
  const { maxCostUsd, ...rest } = options;
  if (maxCostUsd === null) return rest;
  if (maxCostUsd !== undefined) return { ...rest, maxCostUsd };
  const limit = await defaultCostLimit(rt);
  return limit === undefined ? rest : { ...rest, maxCostUsd: limit.usd, maxCostFrom: limit.from };
}

/**
 * {@link withDefaultCostLimit} for a caller that cannot wait (`new WatchSession`): the options at
 * once, their `maxCostUsd` and `maxCostFrom` read through getters, and `read`, which settles once
 * a limit left out is known (await it before anything reads them: a spread of the options reads
 * them then). `read` rejects for a `KONTEXT_MAX_COST` that is no amount; it is marked handled, so
 * a caller that never awaits it (a session closed first) says nothing.
 */
export function lateCostLimit<
  T extends { readonly maxCostUsd?: number | null | undefined; readonly maxCostFrom?: CostLimitSource | undefined },
>(
  options: T,
  rt: Runtime,
): { options: Omit<T, 'maxCostUsd'> & { readonly maxCostUsd?: number | undefined }; read: Promise<void> } {
  const { maxCostUsd, maxCostFrom, ...rest } = options;
  let limit: Awaited<ReturnType<typeof defaultCostLimit>>;
  const read =
    maxCostUsd === undefined
      ? defaultCostLimit(rt).then((l) => {
          limit = l;
        })
      : Promise.resolve();
  read.catch(() => undefined);
  const own = maxCostUsd === undefined ? null : { usd: maxCostUsd ?? undefined, from: maxCostFrom };
  const late = Object.defineProperties(rest, {
    maxCostUsd: { enumerable: true, get: () => (own === null ? limit?.usd : own.usd) },
    maxCostFrom: { enumerable: true, get: () => (own === null ? limit?.from : own.from) },
  });
  return { options: late as Omit<T, 'maxCostUsd'> & { readonly maxCostUsd?: number | undefined }, read };
}
