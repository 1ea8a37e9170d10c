/**
 * A reply over the client's 8 MiB limit for API replies is not read at all. Its error said
 * "HTTP 200 with a reply that is not JSON", which sends the reader looking for a proxy's page;
 * it now says the reply was over the limit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MalformedResponseError } from '../../../src/providers/runcomfy/errors.js';
import { editRequest, harness, rejection, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('a result reply over the size limit', () => {
  it('MalformedResponseError saying the reply is over the 8 MiB limit, not that it is not JSON', async () => {
    // The emulator's HTTP 200 fault carries its message in the JSON body: 9 MiB of it.
    const message = 'x'.repeat(9 * 1024 * 1024);
    h = await harness({
      scenario: { faults: [{ kind: 'http', on: 'result', status: 200, message }] },
      client: { retry: { maxAttempts: 2, baseMs: 1, capMs: 2 } },
    });
    const { requestId } = await h.provider.submit(await editRequest());
    const e = await rejection(h.provider.wait(requestId));
    expect(e).toBeInstanceOf(MalformedResponseError);
    expect((e as Error).message).toMatch(/HTTP 200 with a reply over the 8 MiB limit for API replies/);
    expect((e as Error).message).not.toMatch(/not JSON/);
  });
});
