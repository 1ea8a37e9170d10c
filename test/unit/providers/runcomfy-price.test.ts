import { describe, expect, it } from 'vitest';
import { priceOf } from '../../../src/providers/runcomfy/endpoints.js';

describe('RunComfy model info: the price fields', () => {
  it.each([
    [{ base_price_usd: 0.04 }, 0.04],
    [{ base_price_usd: '0.04' }, 0.04],
    [{ base_price_usd: 0 }, 0],
    [{ base_price_usd: '0' }, 0],
    [{ base_price_usd: '' }, null],
    [{ base_price_usd: '   ' }, null],
    [{ base_price_usd: 'n/a' }, null],
    [{ base_price_usd: -1 }, null],
    [{ base_price_usd: '-0.5' }, null],
    [{ base_price_usd: 'Infinity' }, null],
    [{ base_price_usd: null }, null],
    [{}, null],
  ])('%j → %s (blank, non-finite or negative is no price, not zero)', (reply, price) => {
    expect(priceOf(reply)).toBe(price);
  });

  it('a blank field does not hide a real price in the next one', () => {
    expect(priceOf({ base_price_usd: '', price_usd: 0.05 })).toBe(0.05);
    expect(priceOf({ base_price_usd: ' ', pricing: { base_price_usd: '0.03' } })).toBe(0.03);
  });
});
