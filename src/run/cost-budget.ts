/**
 * `--max-cost` while the run goes. The preflight prices the plan (preflight.ts `enforceMaxCost`);
 * what the plan cannot foresee is priced here: every submit reserves its request's list price just
 * before it is sent — a node's first, the retry after the API could not fetch its input, a
 * journaled request gone at the API and submitted anew, one another run was to pay for and
 * dropped — and one that would take the run past the limit (less what the recipes before it
 * spent) is not sent: its node fails with `E_MAX_COST`, exit 65 (walk-q: a re-host and a re-attach
 * given up each paid past the limit). The price is read before the node's intent is written, the
 * share taken once the claim says this run submits (execute.ts), given back when the submit is
 * proved not accepted or stopped before it was sent. A price the preflight read that cannot be
 * read again is exit 75.
 */
import { ExitCode, KontextError } from '../errors.js';
import { FLAG_LIMIT, type CostLimitSource } from './cost-limit.js';
import type { RunOptions } from './options.js';

/** What a submit reserved: given back when the API proved it took nothing. */
export interface Reservation {
  release(): void;
}

export class CostBudget {
  #reserved = 0;

  /**
   * `leftUsd`: what `--max-cost` leaves this run (`null`: what the recipes before it spent is not
   * known, so nothing may be sent); `priceOf`: a request's list price (the run's spend reads them).
   */
  constructor(
    private readonly limitUsd: number,
    private readonly leftUsd: number | null,
    private readonly priceOf: (provider: string, model: string) => Promise<number | null>,
    private readonly from: CostLimitSource = FLAG_LIMIT,
  ) {}

  /**
   * The price of one request of `model` on `provider`, read before `node`'s intent is written (the
   * look-up may take seconds: none stands between a durable intent and its send). The preflight
   * had every price this run pays, or it would not have started: one not read now is a look-up
   * that failed (review-w), not a price that is not published: exit 75, run again.
   */
  async price(node: string, provider: string, model: string): Promise<number> {
    const price = await this.priceOf(provider, model);
    if (price === null)
      throw new KontextError(
        'E_MAX_COST_UNKNOWN_PRICE',
        `${this.from.name}: the price of ${model} on ${provider} could not be read again, so ${node} is not submitted`,
        { exitCode: ExitCode.TEMP_FAIL, hint: `run again (its model info did not answer), or ${this.from.drop}` },
      );
    return price;
  }

  /**
   * Take `price` for `node`, once its claim says this run submits (a node that only waits for
   * another run's request holds nothing: review-x), or throw `E_MAX_COST` (nothing is sent).
   * Synchronous: concurrent submits cannot both fit the last dollar.
   */
  take(node: string, price: number): Reservation {
    const left = this.leftUsd;
    if (left === null)
      throw new KontextError(
        'E_MAX_COST_UNKNOWN_PRICE',
        `${this.from.name}: what the recipes before this one spent is not known (a price was not known), ` +
          `so ${node} is not submitted`,
        { exitCode: ExitCode.DATA_ERR, hint: `run this recipe on its own, or ${this.from.drop}` },
      );
    if (this.#reserved + price > left + 1e-9) {
      const spent = this.limitUsd - left;
      const before = spent > 1e-9 ? ` (the recipes before it spent $${spent.toFixed(2)})` : '';
      throw new KontextError(
        'E_MAX_COST',
        `submitting ${node} ($${price.toFixed(2)}) would take this run past ${this.from.name} ` +
          `$${this.limitUsd.toFixed(2)}${before}: it has sent $${this.#reserved.toFixed(2)} of requests; ` +
          'not submitted',
        {
          exitCode: ExitCode.DATA_ERR,
          hint:
            'a request the plan did not count (a retry, a request gone at the API) needed paying again: ' +
            `${this.from.raise}, or run again`,
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
  options: Pick<RunOptions, 'maxCostUsd' | 'maxCostSpentUsd' | 'maxCostFrom'>,
  priceOf: (provider: string, model: string) => Promise<number | null>,
): CostBudget | undefined {
  const limit = options.maxCostUsd;
  if (limit === undefined) return undefined;
  const spent = options.maxCostSpentUsd;
  return new CostBudget(limit, spent === null ? null : limit - (spent ?? 0), priceOf, options.maxCostFrom);
}
