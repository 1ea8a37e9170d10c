/**
 * What a run spent, for its summary: every request the API accepted during the run, and every
 * submit whose outcome is unknown (no reply, or a reply that does not prove nothing was taken:
 * the journal keeps its intent as maybe paid, counted as probably paid), each at its model's list
 * price on its provider, priced as `--dry-run` and `--max-cost` price them (prices.ts: the model
 * table, else the provider's model info; the emulator's own). A request whose cancel the API
 * confirmed before it was seen running is taken out where the provider does not bill it
 * (RunComfy, the emulator: listed apart as `cancelled`), and is maybe paid elsewhere (fal,
 * Replicate; session.ts `queuedCancelUnbilled`), counted apart too (`cancelledUnconfirmed`) so the
 * summary can say why. A re-attach to a request an earlier run paid
 * for, a wait for another run's request and a joined in-flight request are not submits, so not
 * this run's money. A price that cannot be read makes the total unknown (`costUsd: null`), never
 * a guess; in a watch session a later cycle that reads it prices the model for the session.
 */
import { providerTraits } from '../providers/session.js';
import type { Provider } from '../providers/types.js';
import type { RunEventOf } from './events.js';
import type { Submitted } from './execute.js';
import { modelPrice, PRICE_READ_MS, roundUsd } from './prices.js';

/** One (provider, model): how many requests, and the price of one (`null`: unknown). */
interface SpendLine {
  readonly provider: string;
  readonly model: string;
  readonly requests: number;
  /** Of them, submits of unknown outcome (maybe paid, counted as paid). */
  readonly maybePaid: number;
  /** Cancelled while queued, unbilled: not in `requests`. */
  readonly cancelled: number;
  /** Of `maybePaid`, cancelled while queued where the provider does not document that as unbilled. */
  readonly cancelledUnconfirmed: number;
  readonly priceUsd: number | null;
}

export interface Spend {
  /** The total in USD; `null` when some request's price is unknown (see `knownUsd`). */
  readonly costUsd: number | null;
  /** The priced requests' total: the whole cost, or a lower bound when `unpriced > 0`. */
  readonly knownUsd: number;
  readonly requests: number;
  readonly maybePaid: number;
  /** Requests cancelled while queued, not billed (not in `requests`). */
  readonly cancelled: number;
  /** Of `maybePaid`, cancelled while queued at a provider that does not document that as unbilled. */
  readonly cancelledUnconfirmed: number;
  /** Requests at an unknown price. */
  readonly unpriced: number;
  readonly byModel: readonly SpendLine[];
}

interface Line {
  readonly provider: string;
  readonly model: string;
  requests: number;
  maybePaid: number;
  cancelled: number;
  cancelledUnconfirmed: number;
  price: Promise<number | null>;
}

/** How long a total waits for cancels under way (their calls are bounded and retried on their own). */
const CANCEL_WAIT_MS = 3_000;

/** The requests a run (or a watch session: every cycle's) submitted, by provider and model. */
export class SpendLedger {
  readonly #lines = new Map<string, Line>();
  /** Cancels under way (a superseded watch cycle's queued requests): a total waits for them. */
  readonly #cancelling = new Set<Promise<unknown>>();

  /** A cancel under way: its outcome ({@link cancel}, or not) counts in the next total. */
  cancelling(p: Promise<unknown>): void {
    const settled = p.then(
      () => undefined,
      () => undefined,
    );
    this.#cancelling.add(settled);
    void settled.then(() => this.#cancelling.delete(settled));
  }

  /**
   * One request submitted; `price` is asked on the (provider, model)'s first request, and asked
   * again (a watch session's later cycle: its own look-up) while the price is still unknown.
   */
  note(provider: string, model: string, maybePaid: boolean, price: () => Promise<number | null>): void {
    const id = `${provider}\u0000${model}`;
    let line = this.#lines.get(id);
    if (line === undefined) {
      const first = price().catch(() => null);
      line = { provider, model, requests: 0, maybePaid: 0, cancelled: 0, cancelledUnconfirmed: 0, price: first };
      this.#lines.set(id, line);
    } else {
      const known = line.price;
      line.price = known.then((p) => p ?? price().catch(() => null));
    }
    line.requests++;
    if (maybePaid) line.maybePaid++;
  }

  /** A request noted here was cancelled while queued: out of the money where unbilled, else maybe paid. */
  cancel(provider: string, model: string): void {
    const line = this.#lines.get(`${provider}\u0000${model}`);
    if (line === undefined || line.requests - line.maybePaid <= 0) return;
    if (!providerTraits(provider).queuedCancelUnbilled) {
      line.maybePaid++;
      line.cancelledUnconfirmed++;
    } else {
      line.requests--;
      line.cancelled++;
    }
  }

  /**
   * The total; first, the cancels under way, for {@link CANCEL_WAIT_MS} at most: a watch cycle's
   * summary that replaced another must not count as paid the requests being cancelled (walk-aa 5).
   */
  async settle(): Promise<Spend> {
    if (this.#cancelling.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((done) => {
        timer = setTimeout(done, CANCEL_WAIT_MS);
      });
      await Promise.race([Promise.all([...this.#cancelling]), late]);
      clearTimeout(timer);
    }
    const byModel: SpendLine[] = [];
    for (const l of this.#lines.values())
      byModel.push({
        provider: l.provider,
        model: l.model,
        requests: l.requests,
        maybePaid: l.maybePaid,
        cancelled: l.cancelled,
        cancelledUnconfirmed: l.cancelledUnconfirmed,
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
    const cancelled = byModel.reduce((n, l) => n + l.cancelled, 0);
    const cancelledUnconfirmed = byModel.reduce((n, l) => n + l.cancelledUnconfirmed, 0);
    const costUsd = unpriced === 0 ? knownUsd : null;
    const lines = byModel.filter((l) => l.requests);
    return { costUsd, knownUsd, requests, maybePaid, cancelled, cancelledUnconfirmed, unpriced, byModel: lines };
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

  /** The list price of one request of (provider, model): the look-up the summary uses, made once. */
  priceOf(provider: string, model: string): Promise<number | null> {
    return this.#price(provider, model)();
  }

  /** A cancel under way (request-wait.ts): the run's and the session's totals wait for it. */
  cancelling(p: Promise<unknown>): void {
    this.#run.cancelling(p);
    this.session?.cancelling(p);
  }

  note(s: Submitted): void {
    if (s.cancelled) {
      this.#run.cancel(s.provider, s.model);
      this.session?.cancel(s.provider, s.model);
      return;
    }
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
      ...(l.cancelledUnconfirmed > 0 ? { cancelled_unconfirmed: l.cancelledUnconfirmed } : {}),
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
  return {
    requests: s.requests,
    maybe_paid: s.maybePaid,
    cancelled: s.cancelled,
    ...(s.cancelledUnconfirmed > 0 ? { cancelled_unconfirmed: s.cancelledUnconfirmed } : {}),
    unpriced: s.unpriced,
    known_usd: s.knownUsd,
  };
}
