import { get } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../../../src/emulator/index.js';
import { api, dataUri, emulator, runToResult, submit, testImage } from './helpers.js';

const body = async (seed = 1): Promise<Record<string, unknown>> => ({
  prompt: 'p',
  image_url: dataUri(await testImage()),
  seed,
});

/** Raw GET: headers and every byte that arrived before the connection ended (fetch would throw them away). */
function rawGet(url: string): Promise<{ status: number; length: number; received: number; complete: boolean }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let received = 0;
      res.on('data', (c: Buffer) => (received += c.length));
      res.on('error', () => {});
      res.on('close', () =>
        resolve({
          status: res.statusCode ?? 0,
          length: Number(res.headers['content-length']),
          received,
          complete: res.complete,
        }),
      );
    }).on('error', reject);
  });
}

describe('emulator request faults', () => {
  it('stuck: requests never leave the queue (but can be cancelled)', async () => {
    const em = await emulator({ scenario: { faults: [{ kind: 'stuck' }] } });
    const { request_id: id } = await submit(em, await body());
    await new Promise((r) => setTimeout(r, 100));
    const s = (await (await api(em, 'GET', `/requests/${id}/status`)).json()) as {
      status: string;
      queue_position: number;
    };
    expect(s).toEqual({ request_id: id, status: 'in_queue', queue_position: 1 });
    expect(((await (await api(em, 'POST', `/requests/${id}/cancel`)).json()) as { outcome: string }).outcome).toBe(
      'cancelled',
    );
  });

  it('remote-failed: the Nth submitted request ends failed with the moderation error', async () => {
    const em = await emulator({ scenario: { faults: [{ kind: 'remote-failed', nth: 2 }] } });
    expect((await runToResult(em, await body(1))).status).toBe('succeeded');
    const failed = await runToResult(em, await body(2));
    expect(failed.status).toBe('failed');
    // The status endpoint knows only in_queue, in_progress, completed, cancelled: a failure shows on the result.
    const status = (await (await api(em, 'GET', `/requests/${failed.request_id}/status`)).json()) as object;
    expect(status).toEqual({ request_id: failed.request_id, status: 'completed' });
    expect(failed.error?.code).toBe('content_moderated');
    expect(failed.output).toBeUndefined();
    expect((await runToResult(em, await body(3))).status).toBe('succeeded');

    em.setScenario({ faults: [{ kind: 'remote-failed', error: { code: 'nsfw', message: 'custom' } }] });
    expect((await runToResult(em, await body(4))).error).toEqual({ code: 'nsfw', message: 'custom' });
  });

  it('truncated-download: full Content-Length, part of the body, then the connection closes', async () => {
    const em = await emulator();
    const result = await runToResult(em, await body());
    const url = result.output?.image ?? '';
    const full = await rawGet(url);
    expect(full).toMatchObject({ status: 200, complete: true, received: full.length });

    em.setScenario({ faults: [{ kind: 'truncated-download', nth: 1 }] });
    const cut = await rawGet(url);
    expect(cut.length).toBe(full.length);
    expect(cut.complete).toBe(false);
    expect(cut.received).toBeLessThan(full.length);
    // 2nd download: whole
    await expect(fetch(url).then((r) => r.arrayBuffer())).resolves.toHaveProperty('byteLength', full.length);
    expect(em.requestLog().filter((e) => e.fault === 'truncated-download')).toHaveLength(1);
  });

  it('oversized-download: advertises a huge Content-Length, sends little, closes', async () => {
    const em = await emulator();
    const result = await runToResult(em, await body());
    em.setScenario({ faults: [{ kind: 'oversized-download', content_length: 3 * 1024 ** 3 }] });
    const res = await rawGet(result.output?.image ?? '');
    expect(res.length).toBe(3 * 1024 ** 3);
    expect(res.complete).toBe(false);
    expect(res.received).toBeLessThanOrEqual(64 * 1024);
  });

  it('untrusted-output-host: the output URL names another host, same port and path', async () => {
    const em = await emulator({ scenario: { faults: [{ kind: 'untrusted-output-host' }] } });
    const result = await runToResult(em, await body());
    const url = new URL(result.output?.image ?? '');
    expect(url.hostname).toBe('evil.example.com');
    expect(url.port).toBe(new URL(em.origin).port);
    expect(url.pathname).toBe(`/files/${result.request_id}/output.png`);
    em.setScenario({ faults: [{ kind: 'untrusted-output-host', host: 'cdn.example.org:8443' }] });
    const again = (await (await api(em, 'GET', `/requests/${result.request_id}/result`)).json()) as {
      output: { image: string };
    };
    expect(new URL(again.output.image).host).toBe('cdn.example.org:8443');
  });

  it('POST /__emulator/scenario sets faults at run time and rejects a bad scenario with 422', async () => {
    const em = await emulator();
    const set = await fetch(`${em.origin}/__emulator/scenario`, {
      method: 'POST',
      body: JSON.stringify({ faults: [{ kind: 'http', on: 'model', status: 503 }] }),
    });
    expect(set.status).toBe(200);
    expect(((await set.json()) as { fault_rate: number }).fault_rate).toBe(0);
    expect((await api(em, 'GET', '/models/a/b')).status).toBe(503);

    const bad = await fetch(`${em.origin}/__emulator/scenario`, {
      method: 'POST',
      body: JSON.stringify({ faults: [{ kind: 'http', on: 'nowhere', status: 503 }] }),
    });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { error_message: string }).error_message).toMatch(
      /invalid emulator scenario.*faults/,
    );
    expect((await api(em, 'GET', '/models/a/b')).status).toBe(503); // the old scenario stays

    await fetch(`${em.origin}/__emulator/scenario`, { method: 'POST', body: '{}' });
    expect((await api(em, 'GET', '/models/a/b')).status).toBe(200);
  });

  it('setScenario throws a typed error on a bad scenario', async () => {
    const em = await emulator();
    expect(() => em.setScenario({ fault_rate: 2 })).toThrow(ScenarioError);
  });
});
