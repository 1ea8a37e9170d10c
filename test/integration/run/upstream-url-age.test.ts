/**
 * An upstream pass's output URL is handed to the next pass only while it has the reuse margin
 * left (5 min of the 10 min kontext trusts such URLs for): BFL's live exactly 10 min, and one
 * handed over at 9 min 15 s (a laptop asleep between the passes) expired while the next request
 * sat in the API's queue: the API could not fetch its input and the pass was paid again
 * (walk-ac 1). Past it, the cached bytes are hosted instead (here inline, a data URI).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createInlineHosting } from '../../../src/hosting/inline.js';
import type { PlanNode } from '../../../src/plan/types.js';
import { inputUrlFor, type UpstreamOutput } from '../../../src/run/inputs.js';
import { openStore } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/types.js';
import { pngHolding } from '../../helpers/test-images.js';

const MIN = 60_000;
const T0 = 1_750_000_000_000;
const BFL_URL = 'https://delivery-eu1.bfl.ai/results/ab/cd/sample.png?se=x&sig=y';

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-url-age-'));
  store = await openStore(join(dir, 'cache'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function inputAt(ageMs: number): Promise<string> {
  const sha256 = await store.putBlob(pngHolding('upstream'));
  const upstream: UpstreamOutput = { sha256, bytes: 0, mediaType: 'image/png', ext: 'png', url: BFL_URL, urlAt: T0 };
  const node = { id: 'light@cat', input: { kind: 'node', id: 'bg@cat' } } as unknown as PlanNode;
  const deps = {
    store,
    hosting: createInlineHosting([dir]),
    now: () => T0 + ageMs,
    providerName: 'bfl',
    apiIsLocal: () => false,
  };
  return (await inputUrlFor(node, sha256, upstream, deps)).via;
}

describe("an upstream output's URL handed to the next pass", () => {
  it('is reused while it has 5 minutes left, and hosted anew after', async () => {
    expect(await inputAt(0)).toBe('remote-output');
    expect(await inputAt(4 * MIN + 59_000)).toBe('remote-output');
    expect(await inputAt(5 * MIN)).not.toBe('remote-output');
    // The walker's case: 9 min 15 s old, 45 s before BFL's URL expires.
    expect(await inputAt(9 * MIN + 15_000)).not.toBe('remote-output');
  });
});
