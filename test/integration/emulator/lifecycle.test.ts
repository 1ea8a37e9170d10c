import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startEmulator, syntheticByte } from '../../../src/emulator/index.js';
import { api, dataUri, emulator, MODEL, runToResult, settle, submit, testImage } from './helpers.js';

describe('emulator lifecycle and request log', () => {
  it('logs every API call and download, with the submit body minus image data and query secrets', async () => {
    const em = await emulator({ now: () => Date.parse('2030-01-02T03:04:05.000Z') });
    const image_url = dataUri(await testImage());
    const result = await runToResult(em, { prompt: 'Make it rain', image_url, seed: 5, aspect_ratio: '1:1' });
    await (await fetch(result.output?.image ?? '')).arrayBuffer();
    await api(em, 'POST', `/models/${MODEL}`, {
      prompt: 'p',
      image_url: 'https://bucket.example/in.png?X-Amz-Signature=topsecret',
    });

    const log = (await (await fetch(`${em.origin}/__emulator/requests`)).json()) as ReturnType<typeof em.requestLog>;
    expect(log).toEqual(em.requestLog());
    const first = log[0];
    expect(first).toMatchObject({
      method: 'POST',
      path: `/v1/models/${MODEL}`,
      status: 200,
      time: '2030-01-02T03:04:05.000Z',
    });
    expect(first?.body).toEqual({
      prompt: 'Make it rain',
      image_url: `data:image/png;base64,… (${image_url.length} chars)`,
      seed: 5,
      aspect_ratio: '1:1',
    });
    expect(log.some((e) => e.path.endsWith('/status'))).toBe(true);
    expect(log.filter((e) => e.path.endsWith('/output.png'))).toHaveLength(1);
    expect(log.at(-1)?.body?.image_url).toBe('https://bucket.example/in.png?…');
    const text = JSON.stringify(log);
    expect(text).not.toContain(image_url.slice(30, 80));
    expect(text).not.toContain('topsecret');
    expect(log.every((e) => typeof e.ms === 'number' && e.ms >= 0)).toBe(true);

    expect((await fetch(`${em.origin}/__emulator/requests`, { method: 'DELETE' })).status).toBe(204);
    expect(em.requestLog()).toEqual([]);
  });

  it("hold('queued'): a queued request stays queued (cancellable) until released, then runs", async () => {
    const em = await emulator({ queueMs: 0, runMs: 5 });
    const release = em.hold('queued');
    const image = dataUri(await testImage());
    const { request_id: id } = await submit(em, { prompt: 'p', image_url: image });
    const { request_id: other } = await submit(em, { prompt: 'q', image_url: image });
    const status = async (rid: string): Promise<string> =>
      ((await (await api(em, 'GET', `/requests/${rid}/status`)).json()) as { status: string }).status;
    await new Promise((r) => setTimeout(r, 200)); // forty times its run time, no queue time at all
    expect(await status(id)).toBe('in_queue');
    expect((await api(em, 'POST', `/requests/${other}/cancel`)).status).toBe(202);
    release();
    expect(await settle(em, id)).toBe('completed');
    expect(await status(other)).toBe('cancelled');
  });

  it('hold(): a running request stays in progress past its run time until released, then finishes', async () => {
    const em = await emulator({ queueMs: 1, runMs: 5 });
    const release = em.hold();
    const { request_id: id } = await submit(em, { prompt: 'p', image_url: dataUri(await testImage()) });
    const status = async (): Promise<string> =>
      ((await (await api(em, 'GET', `/requests/${id}/status`)).json()) as { status: string }).status;
    // Forty times its run time: without the hold it would long be completed.
    await new Promise((r) => setTimeout(r, 200));
    expect(await status()).toBe('in_progress');
    release();
    expect(await settle(em, id)).toBe('completed');
    // A release is once: a later hold is a new one.
    release();
    expect(
      await settle(em, (await submit(em, { prompt: 'q', image_url: dataUri(await testImage()) })).request_id),
    ).toBe('completed');
  });

  it('forgets the oldest ended requests past its byte budget (404001, expired), never the newest', async () => {
    const em = await emulator({ keptOutputBytes: 1 });
    const image = dataUri(await testImage());
    const ids: string[] = [];
    for (const prompt of ['a', 'b', 'c']) {
      const { request_id: id } = await submit(em, { prompt, image_url: image });
      expect(await settle(em, id)).toBe('completed');
      ids.push(id);
    }
    for (const id of ids.slice(0, 2)) {
      const res = await api(em, 'GET', `/requests/${id}/result`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error_code?: number }).error_code).toBe(404001);
    }
    expect((await api(em, 'GET', `/requests/${ids[2]}/result`)).status).toBe(200);
  });

  it('streams deterministic synthetic downloads with Content-Length', async () => {
    const em = await emulator();
    const size = 3 * 1024 * 1024 + 17;
    const res = await fetch(`${em.origin}/files/synthetic/${size}.bin`);
    expect(res.headers.get('content-length')).toBe(String(size));
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.length).toBe(size);
    for (const at of [0, 1, 1024 * 1024, size - 1]) expect(bytes[at]).toBe(syntheticByte(at));
    expect((await fetch(`${em.origin}/files/synthetic/${4 * 1024 ** 3 + 1}.bin`)).status).toBe(404);
  });

  it('close() frees the port and returns promptly with slow and streaming replies in flight', async () => {
    const em = await startEmulator({ scenario: { faults: [{ kind: 'slow', on: 'model', delay_ms: 60_000 }] } });
    const port = Number(new URL(em.origin).port);
    const slow = api(em, 'GET', `/models/${MODEL}`).catch((e: unknown) => e);
    const stream = fetch(`${em.origin}/files/synthetic/${2 * 1024 ** 3}.bin`);
    await stream;
    await new Promise((r) => setTimeout(r, 20));
    const t0 = performance.now();
    await em.close();
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect(await slow).toBeInstanceOf(Error);

    const probe = createServer();
    await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise((r) => probe.close(r));
  });

  it('reports a typed error when the port is taken', async () => {
    const em = await emulator();
    await expect(startEmulator({ port: Number(new URL(em.origin).port) })).rejects.toMatchObject({
      code: 'E_EMULATOR_LISTEN',
      exitCode: 69,
    });
  });
});
