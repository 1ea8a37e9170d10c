/**
 * The price of the requests a run will make, per (provider, model): the model table's price
 * where it has one (BFL, fal, Replicate), else the provider's catalog (RunComfy's
 * `GET /v1/models/{id}`, the emulator's copy of it) through the node's provider session.
 */
import { isProviderName, lookupModel } from '../models/registry.js';
import type { Provider } from '../providers/types.js';
import { billableByProvider } from './node-provider.js';
import type { Prepared } from './prepare.js';

export interface PriceSources {
  /** The run's provider, asked about nodes on `providerName`. */
  readonly provider: Provider;
  readonly providerName?: string | undefined;
  /** The provider of nodes on another provider (absent: `provider` for all). */
  readonly providerFor?: ((name: string) => Provider) | undefined;
  readonly signal?: AbortSignal | undefined;
  /** How long reading one model's price from its provider may take (default `PRICE_READ_MS`). */
  readonly readMs?: number | undefined;
}

/**
 * How long reading the price of one model may take: a catalog that accepts the call and never
 * answers must not hold a run, a dry run or `--max-cost` for the client's whole deadline.
 */
export const PRICE_READ_MS = 10_000;

/**
 * The billable requests' total in USD, or the first (provider, model) with no known price and why
 * (`the provider reports no price for it`, `its model info did not answer in 10 s`).
 */
export type RunPrice =
  | { readonly known: true; readonly totalUsd: number }
  | {
      readonly known: false;
      readonly provider: string;
      readonly model: string;
      readonly why: string;
      /** The model info did not answer in time: a passing failure, not a model without a price. */
      readonly noAnswer?: true;
    };

export async function priceRun(prepared: Prepared, src: PriceSources): Promise<RunPrice> {
  const fallback = src.providerName ?? src.provider.name;
  let total = 0;
  for (const [provider, models] of billableByProvider(prepared, fallback)) {
    for (const [model, count] of models) {
      const price = await boundedPrice(provider, model, src);
      if (price === 'no-answer') {
        const why = `its model info did not answer in ${seconds(src.readMs ?? PRICE_READ_MS)}`;
        return { known: false, provider, model, why, noAnswer: true };
      }
      if (price === null) return { known: false, provider, model, why: `${provider} reports no price for it` };
      total += price * count;
    }
  }
  return { known: true, totalUsd: roundUsd(total) };
}

/** Float noise out of a sum of prices (0.05 × 3 is 0.15, not 0.15000000000000002). */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}

/** `modelPrice` within `readMs`; `'no-answer'`: no answer in time (the caller's signal not aborted). */
async function boundedPrice(provider: string, model: string, src: PriceSources): Promise<number | null | 'no-answer'> {
  const timeout = AbortSignal.timeout(src.readMs ?? PRICE_READ_MS);
  const signal = src.signal === undefined ? timeout : AbortSignal.any([src.signal, timeout]);
  try {
    return await modelPrice(provider, model, { ...src, signal });
  } catch (e) {
    if (timeout.aborted && src.signal?.aborted !== true) return 'no-answer';
    throw e;
  }
}

function seconds(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}

/** The model table's price of one request of `model` on `provider`; null: none listed (RunComfy: its catalog). */
export function listedPrice(provider: string, model: string): number | null {
  const listed = isProviderName(provider) ? lookupModel(provider, model)?.priceUsd : undefined;
  return typeof listed === 'number' ? listed : null;
}

/** The price of one request of `model` on `provider` (`null`: the provider publishes none). */
export async function modelPrice(provider: string, model: string, src: PriceSources): Promise<number | null> {
  const listed = listedPrice(provider, model);
  if (listed !== null) return listed;
  const fallback = src.providerName ?? src.provider.name;
  const client = provider === fallback || !src.providerFor ? src.provider : src.providerFor(provider);
  return (await client.modelInfo(model, src.signal)).priceUsd;
}
