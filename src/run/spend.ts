/**
 * What a run spent, for its summary: every request the API accepted during the run, and every
 * submit whose reply never came (the journal keeps its intent as maybe paid: counted, as
 * probably paid), each at its model's list price on its provider, priced as `--dry-run` and
 * `--max-cost` price them (prices.ts: the model table, else the provider's model info; the
 * emulator's own). A re-attach to a request an earlier run paid for, a wait for another run's
 * request and a joined in-flight request are not submits, so not this run's money. A price
 * that cannot be read makes the total unknown (`costUsd: null`), never a guess.
 */
import type { Provider } from '../providers/types.js';
import type { RunEventOf } from './events.js';
import type { Submitted } from './execute.js';
import { modelPrice } from './prices.js';

/** One (provider, model): how many requests, and the price of one (`null`: unknown). */
interface SpendLine {
  readonly provider: string;
  readonly model: string;
  readonly requests: number;
  /** Of them, submits whose reply never came (maybe paid, counted as paid). */
  readonly maybePaid: number;
  readonly priceUsd: number | null;
}

export interface Spend {
  /** The total in USD; `null` when some request's price is unknown (see `knownUsd`). */
  readonly costUsd: number | null;
  /** The priced requests' total: the whole cost, or a lower bound when `unpriced > 0`. */
  readonly knownUsd: number;
  readonly requests: number;
  readonly maybePaid: number;
  /** Requests at an unknown price. */
  readonly unpriced: number;
  readonly byModel: readonly SpendLine[];
}

/** How long reading the price of one model may take (a catalog call, made at its first request). */
const PRICE_READ_MS = 10_000;

interface Line {
  readonly provider: string;
  readonly model: string;
  requests: number;
  maybePaid: number;
  readonly price: Promise<number | null>;
}

/** The requests a run (or a watch session: every cycle's) submitted, by provider and model. */
export class SpendLedger {
  readonly #lines = new Map<string, Line>();

  /** One request submitted; `price` is asked once per (provider, model), on its first request. */
  note(provider: string, model: string, maybePaid: boolean, price: () => Promise<number | null>): void {
    const id = `${provider}\u0000${model}`;
    let line = this.#lines.get(id);
    if (line === undefined) {
      line = { provider, model, requests: 0, maybePaid: 0, price: price().catch(() => null) };
      this.#lines.set(id, line);
    }
    line.requests++;
    if (maybePaid) line.maybePaid++;
  }

  async settle(): Promise<Spend> {
    const byModel: SpendLine[] = [];
    for (const l of this.#lines.values())
      byModel.push({
        provider: l.provider,
        model: l.model,
        requests: l.requests,
        maybePaid: l.maybePaid,
        priceUsd: await l.price,
      });
    let knownUsd = 0;
    let unpriced = 0;
    for (const l of byModel) {
      if (l.priceUsd === null) unpriced += l.requests;
      else knownUsd += l.priceUsd * l.requests;
    }
    knownUsd = roundUsd(knownUsd);
    const requests = byModel.reduce((n, l) => n + l.requests, 0);
    const maybePaid = byModel.reduce((n, l) => n + l.maybePaid, 0);
    return { costUsd: unpriced === 0 ? knownUsd : null, knownUsd, requests, maybePaid, unpriced, byModel };
  }
}

/** Where a run reads its prices: its providers (the same sessions its requests went to). */
export interface SpendPrices {
  readonly provider: Provider;
  readonly providerName: string;
  readonly providerFor?: ((name: string) => Provider) | undefined;
}

/**
 * A run's price look-ups, one per (provider, model), each bounded in time: not the run's signal,
 * so an interrupted run still prices what it paid for.
 */
export function priceLookups(src: SpendPrices): (provider: string, model: string) => () => Promise<number | null> {
  const asked = new Map<string, Promise<number | null>>();
  return (provider, model) => () => {
    const id = `${provider}\u0000${model}`;
    const known = asked.get(id);
    if (known) return known;
    const price = modelPrice(provider, model, { ...src, signal: AbortSignal.timeout(PRICE_READ_MS) }).catch(() => null);
    asked.set(id, price);
    return price;
  };
}

/** Float noise out of a sum of prices (0.04 × 3 is 0.12, not 0.12000000000000001). */
function roundUsd(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}

/** One run's spend, noted into the watch session's ledger too when there is one. */
export class RunSpend {
  readonly #run = new SpendLedger();
  readonly #price: ReturnType<typeof priceLookups>;

  constructor(
    src: SpendPrices,
    private readonly session?: SpendLedger | undefined,
  ) {
    this.#price = priceLookups(src);
  }

  note(s: Submitted): void {
    const price = this.#price(s.provider, s.model);
    this.#run.note(s.provider, s.model, s.maybePaid, price);
    this.session?.note(s.provider, s.model, s.maybePaid, price);
  }

  /** The run's spend, and the `run-summary` event's fields for it (the `--json` wire format). */
  async settle(): Promise<{ readonly spend: Spend; readonly fields: SpendEventFields }> {
    const spend = await this.#run.settle();
    const session = await this.session?.settle();
    const byModel = spend.byModel.map((l) => ({
      provider: l.provider,
      model: l.model,
      requests: l.requests,
      price_usd: l.priceUsd,
    }));
    const fields: SpendEventFields = {
      cost_usd: spend.costUsd,
      spend: { ...totals(spend), by_model: byModel },
      ...(session ? { session_spend: { cost_usd: session.costUsd, ...totals(session) } } : {}),
    };
    return { spend, fields };
  }
}

type SpendEventFields = Pick<RunEventOf<'run-summary'>, 'cost_usd' | 'spend' | 'session_spend'>;

function totals(s: Spend) {
  return { requests: s.requests, maybe_paid: s.maybePaid, unpriced: s.unpriced, known_usd: s.knownUsd };
}
