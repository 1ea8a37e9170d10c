/**
 * providers/runcomfy/net-failure.ts: a certificate refused for its dates names this machine's
 * clock, which the check used (walk-ae 9: a clock in 2019 was told to trust a re-signing proxy).
 */
import { describe, expect, it } from 'vitest';
import { codedFailure } from '../../../src/providers/runcomfy/net-failure.js';
import { dispatcherFor } from '../../../src/util/proxy-dispatcher.js';

describe('codedFailure', () => {
  const direct = dispatcherFor(null, {});
  const url = 'https://api.example.test/v1/models/x';

  it.each([
    ['CERT_NOT_YET_VALID', /is not valid yet$/],
    ['CERT_HAS_EXPIRED', /has expired$/],
  ])('%s: the hint names the clock and what it reads', (code, end) => {
    const f = codedFailure(code, direct, url);
    expect(f.retryable).toBe(false);
    expect(f.options.hint).toMatch(
      /^certificates are checked against this machine's clock, which reads \d{4}-\d\d-\d\dT/,
    );
    expect(f.options.hint).toMatch(end);
  });

  it('another certificate failure keeps the re-signing proxy hint', () => {
    expect(codedFailure('UNABLE_TO_VERIFY_LEAF_SIGNATURE', direct, url).options.hint).toMatch(/NODE_EXTRA_CA_CERTS/);
  });
});
