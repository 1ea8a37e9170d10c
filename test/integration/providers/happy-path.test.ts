import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { CompletionTimes } from '../../../src/providers/polling/completion-times.js';
import { createRunComfyProvider } from '../../../src/providers/runcomfy/client.js';
import { DEFAULT_POLL_POLICY } from '../../../src/providers/runcomfy/poll.js';
import type { RemoteState } from '../../../src/providers/types.js';
import { editRequest, harness, MODEL, TOKEN, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('RunComfy client against the emulator: happy path', () => {
  it('submits, waits, downloads; the file is complete and its sha256 is right', async () => {
    h = await harness({ queueMs: 400, runMs: 150 }); // long enough that the first poll (10 ms) sees the queue
    const { requestId } = await h.provider.submit(await editRequest({ aspectRatio: '16:9' }));
    const states: RemoteState[] = [];
    const { outputUrls } = await h.provider.wait(requestId, { onState: (s) => states.push(s) });
    expect(outputUrls).toHaveLength(1);
    expect(states.map((s) => s.phase)).toContain('running');
    expect(states[0]?.phase).toBe('queued');

    const progress: number[] = [];
    const dest = join(h.dir, 'out', 'background.png');
    const got = await h.provider.download(outputUrls[0]!, dest, { onProgress: (b) => progress.push(b) });
    const bytes = await readFile(dest);
    expect(got.path).toBe(dest);
    expect(got.bytes).toBe(bytes.length);
    expect(got.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(got.mediaType).toBe('image/png');
    expect(bytes.subarray(1, 4).toString()).toBe('PNG');
    expect(progress.at(-1)).toBe(bytes.length);

    // Same bytes as a bare fetch of the same URL.
    const bare = Buffer.from(await (await request(outputUrls[0]!)).body.arrayBuffer());
    expect(createHash('sha256').update(bare).digest('hex')).toBe(got.sha256);

    const log = h.emulator.requestLog();
    const submits = log.filter((e) => e.method === 'POST' && e.path.startsWith('/v1/models/'));
    expect(submits).toHaveLength(1);
    expect(submits[0]?.path).toBe(`/v1/models/${MODEL}`);
    expect(submits[0]?.body).toMatchObject({ prompt: 'Make the sky orange', seed: 7, aspect_ratio: '16:9' });
    expect(JSON.stringify(log)).not.toContain(TOKEN);
    expect(await h.files()).toEqual(['out']);
  });

  it('once it knows how long requests take, reads the result at the expected finish (no status polls)', async () => {
    h = await harness({ queueMs: 0, runMs: 200, client: { poll: { firstDelayMs: 50, factor: 1.3, maxDelayMs: 250 } } });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const { requestId } = await h.provider.submit(await editRequest({ seed: i }));
      const { outputUrls } = await h.provider.wait(requestId);
      expect(outputUrls).toHaveLength(1);
      ids.push(requestId);
    }
    const log = h.emulator.requestLog();
    const calls = (id: string, kind: string): number =>
      log.filter((e) => e.path === `/v1/requests/${id}/${kind}`).length;
    // The first three learn on the plain backoff: status polls, then one result read. (How many
    // status polls a 0.2 s job takes depends on the machine's load: a stalled client's first one
    // may already see it done.)
    for (const id of ids.slice(0, 3)) {
      expect(calls(id, 'status')).toBeGreaterThanOrEqual(1);
      expect(calls(id, 'result')).toBe(1);
    }
    // Then result reads from the expected finish on (no early look at the queue: these are 0.2 s jobs).
    for (const id of ids.slice(3)) {
      expect(calls(id, 'status')).toBe(0);
      expect(calls(id, 'result')).toBeGreaterThanOrEqual(1);
    }
  });

  it('a job past every learned finish is read every 0.33-0.65 s, as the README says, not every few ms', async () => {
    // Learned: 0.2 s jobs (within 4 ms of each other); this one takes 0.38 s. Submitted by another
    // client, as a re-attach is, so the wait aims with the times this one was given; the real API's
    // policy (the tests' fast one reads a late job at its own faster pace).
    const learned = new CompletionTimes([196, 198, 200]);
    h = await harness({ queueMs: 0, runMs: 380, client: { learned, poll: DEFAULT_POLL_POLICY } });
    const other = createRunComfyProvider({
      baseUrl: h.emulator.baseUrl,
      token: TOKEN,
      rt: h.rt,
      allowHosts: ['127.0.0.1'],
    });
    const { requestId } = await other.submit(await editRequest());
    await other.close();
    const { outputUrls } = await h.provider.wait(requestId);
    expect(outputUrls).toHaveLength(1);
    const reads = h.emulator.requestLog().filter((e) => e.path.startsWith(`/v1/requests/${requestId}/`));
    // One read at the learned finish (0.2 s), the next half the max gap (0.325 s) later finds it done.
    // A late gap cut to a share of the learned times (10 ms here) made about a dozen.
    expect(reads.length).toBeLessThanOrEqual(3);
    const at = reads.map((e) => Date.parse(e.time));
    for (let i = 1; i < at.length; i++) expect((at[i] ?? 0) - (at[i - 1] ?? 0)).toBeGreaterThanOrEqual(300);
  });

  it('a refused result read of an unfinished request makes the client poll status from then on', async () => {
    h = await harness({
      queueMs: 0,
      runMs: 150,
      client: { poll: { firstDelayMs: 20, factor: 1.15, maxDelayMs: 250 } },
    });
    const run = async (seed: number): Promise<string> => {
      const { requestId } = await h!.provider.submit(await editRequest({ seed }));
      const { outputUrls } = await h!.provider.wait(requestId);
      expect(outputUrls).toHaveLength(1);
      return requestId;
    };
    for (let i = 0; i < 3; i++) await run(i); // learned: the next waits read results
    // From now on a result read answers 404 while the request is unfinished (status still works).
    h.emulator.setScenario({ faults: [{ kind: 'http', on: 'result', nth: 1, status: 404, error_code: 404001 }] });
    const id = await run(10);
    const later = await run(11);
    const log = h.emulator.requestLog();
    const calls = (rid: string, kind: string): number =>
      log.filter((e) => e.path === `/v1/requests/${rid}/${kind}`).length;
    expect(calls(id, 'status')).toBeGreaterThanOrEqual(1); // fell back to status polls
    expect(calls(later, 'status')).toBeGreaterThanOrEqual(1); // and stays with them
    expect(calls(later, 'result')).toBe(1); // only the read of the finished request
  });

  it('reads model info: price and input schema', async () => {
    h = await harness();
    const info = await h.provider.modelInfo(MODEL);
    expect(info.model).toBe(MODEL);
    expect(info.priceUsd).toBe(0.04);
    expect(JSON.stringify(info.inputSchema)).toContain('image_url');
  });

  it('cancels a queued request', async () => {
    h = await harness({ scenario: { faults: [{ kind: 'stuck' }] } });
    const { requestId } = await h.provider.submit(await editRequest());
    expect(await h.provider.cancel(requestId)).toBe('cancelled');
  });

  it('stops waiting at once when the signal aborts', async () => {
    h = await harness({ scenario: { faults: [{ kind: 'stuck' }] } });
    const { requestId } = await h.provider.submit(await editRequest());
    const ac = new AbortController();
    const waiting = h.provider.wait(requestId, { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('stop now')), 50);
    await expect(waiting).rejects.toThrow('stop now');
  });
});
