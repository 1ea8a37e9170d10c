/**
 * `--max-cost` while the run goes. The preflight prices the plan (preflight.ts `enforceMaxCost`);
 * what the plan cannot foresee is priced here: every submit reserves its request's list price just
 * before it is sent — a node's first, the retry after the API could not fetch its input, a
 * journaled request gone at the API and submitted anew, one another run was to pay for and
 * dropped — and one that would take the run past the limit (less what the recipes before it
 * spent) is not sent: its node fails with `E_MAX_COST`, exit 65 (walk-q: a re-host and a re-attach
 * given up each paid past the limit). A submit proved not accepted gives its share back.
 */
import { ExitCode, KontextError } from '../errors.js';
import type { RunOptions } from './options.js';

/** What a submit reserved: given back when the API proved it took nothing. */
export interface Reservation {
  release(): void;
}

export class CostBudget {
  #reserved = 0;

  /**
   * `leftUsd`: what `--max-cost` leaves this run; `priceOf`: a request's list price (the run's
   * spend reads them: a model priced at the preflight is known).
   */
  constructor(
    private readonly limitUsd: number,
    private readonly leftUsd: number,
    private readonly priceOf: (provider: string, model: string) => Promise<number | null>,
  ) {}

  /** Reserve one request of `model` on `provider` for `node`, or throw `E_MAX_COST` (nothing is sent). */
  async reserve(node: string, provider: string, model: string): Promise<Reservation> {
    const price = await this.priceOf(provider, model);
    if (price === null)
      throw new KontextError(
        'E_MAX_COST_UNKNOWN_PRICE',
        `--max-cost: the price of ${model} on ${provider} is not known, so ${node} is not submitted`,
        { exitCode: ExitCode.DATA_ERR, hint: 'drop --max-cost, or use a model with a published price' },
      );
    // Checked and taken with no await between: concurrent submits cannot both fit the last dollar.
    if (this.#reserved + price > this.leftUsd + 1e-9) {
      const spent = this.limitUsd - this.leftUsd;
      const before = spent > 1e-9 ? ` (the recipes before it spent $${spent.toFixed(2)})` : '';
      throw new KontextError(
        'E_MAX_COST',
        `submitting ${node} ($${price.toFixed(2)}) would take this run past --max-cost ` +
          `$${this.limitUsd.toFixed(2)}${before}: it has sent $${this.#reserved.toFixed(2)} of requests; ` +
          'not submitted',
        {
          exitCode: ExitCode.DATA_ERR,
          hint:
            'a request the plan did not count (a retry, a request gone at the API) needed paying again: ' +
            'raise --max-cost, or run again',
        },
      );
    }
    this.#reserved += price;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.#reserved -= price;
      },
    };
  }
}

/** The run's budget when `--max-cost` is given: what it leaves this run after the recipes before it. */
export function budgetFor(
  options: Pick<RunOptions, 'maxCostUsd' | 'maxCostSpentUsd'>,
  priceOf: (provider: string, model: string) => Promise<number | null>,
): CostBudget | undefined {
  const limit = options.maxCostUsd;
  if (limit === undefined) return undefined;
  return new CostBudget(limit, limit - (options.maxCostSpentUsd ?? 0), priceOf);
}
