import { describe, expect, it } from 'vitest';
import { SpendLedger } from '../../../src/run/spend.js';

const at = (usd: number | null) => () => Promise.resolve(usd);

describe('SpendLedger: a request cancelled while queued', () => {
  it('on RunComfy (only queued requests cancel there): out of the money, listed apart', async () => {
    const ledger = new SpendLedger();
    ledger.note('runcomfy', 'kontext', false, at(0.04));
    ledger.note('runcomfy', 'kontext', false, at(0.04));
    ledger.cancel('runcomfy', 'kontext');
    expect(await ledger.settle()).toMatchObject({ costUsd: 0.04, requests: 1, maybePaid: 0, cancelled: 1 });
  });

  it('on fal and Replicate (billing of a queued cancel undocumented): still counted, as maybe paid', async () => {
    const ledger = new SpendLedger();
    ledger.note('fal', 'kontext', false, at(0.04));
    ledger.note('replicate', 'kontext', false, at(0.05));
    ledger.cancel('fal', 'kontext');
    ledger.cancel('replicate', 'kontext');
    expect(await ledger.settle()).toMatchObject({
      costUsd: 0.09,
      requests: 2,
      maybePaid: 2,
      cancelled: 0,
      cancelledUnconfirmed: 2,
      byModel: [
        { provider: 'fal', cancelledUnconfirmed: 1 },
        { provider: 'replicate', cancelledUnconfirmed: 1 },
      ],
    });
  });

  it('a cancel of nothing noted (a re-attach, another run’s request) changes nothing', async () => {
    const ledger = new SpendLedger();
    ledger.cancel('runcomfy', 'kontext');
    expect(await ledger.settle()).toMatchObject({ costUsd: 0, requests: 0, cancelled: 0 });
  });
});

describe('SpendLedger: a price unknown at first', () => {
  it('is read again by a later look-up, which prices the earlier requests too', async () => {
    const ledger = new SpendLedger();
    ledger.note('runcomfy', 'kontext', false, () => Promise.reject(new Error('503')));
    expect(await ledger.settle()).toMatchObject({ costUsd: null, unpriced: 1 });
    ledger.note('runcomfy', 'kontext', false, at(0.04));
    expect(await ledger.settle()).toMatchObject({ costUsd: 0.08, unpriced: 0, requests: 2 });
  });
});
