import { describe, expect, it } from 'vitest';
import type { Fault } from '../../../src/emulator/index.js';
import { api, AUTH, dataUri, emulator, MODEL, submit, testImage } from './helpers.js';

const body = async (): Promise<Record<string, unknown>> => ({ prompt: 'p', image_url: dataUri(await testImage()) });

describe('emulator call faults', () => {
  const httpCases: [string, Fault, number, number][] = [
    ['401', { kind: 'http', on: 'submit', status: 401 }, 401, 401000],
    ['400 + 400004 (token rejected)', { kind: 'http', on: 'submit', status: 400, error_code: 400004 }, 400, 400004],
    ['422', { kind: 'http', on: 'submit', status: 422 }, 422, 422000],
    ['500', { kind: 'http', on: 'submit', status: 500 }, 500, 500000],
    ['502', { kind: 'http', on: 'submit', status: 502 }, 502, 502000],
    ['503', { kind: 'http', on: 'submit', status: 503 }, 503, 503000],
    [
      '200 carrying error_code',
      { kind: 'http', on: 'submit', status: 200, error_code: 400002, message: 'balance exhausted' },
      200,
      400002,
    ],
  ];
  it.each(httpCases)('http fault %s', async (_name, fault, status, errorCode) => {
    const em = await emulator({ scenario: { faults: [fault] } });
    const res = await api(em, 'POST', `/models/${MODEL}`, await body());
    expect(res.status).toBe(status);
    const err = (await res.json()) as { error_code: number; error_message: string; request_id?: string };
    expect(err.error_code).toBe(errorCode);
    expect(err.error_message).toMatch(/emulated fault/);
    expect(err.request_id).toBeUndefined();
    expect(em.requestLog()[0]).toMatchObject({ status, fault: `http ${status}` });
  });

  it('after_accept: a submit makes its job (logged accepted), then the fault replies; others ignore it', async () => {
    const em = await emulator({
      scenario: {
        faults: [
          { kind: 'http', on: 'submit', nth: 1, status: 503, body: 'html', after_accept: true },
          { kind: 'http', on: 'submit', nth: 2, status: 503 },
          { kind: 'http', on: 'status', nth: 1, status: 502, after_accept: true },
        ],
      },
    });
    const res = await api(em, 'POST', `/models/${MODEL}`, await body());
    expect(res.status).toBe(503);
    expect(await res.text()).toMatch(/<html>/);
    expect((await api(em, 'POST', `/models/${MODEL}`, await body())).status).toBe(503);
    expect((await api(em, 'GET', '/requests/x/status')).status).toBe(502);
    const replicate = await fetch(`${em.origin}/v1/models/black-forest-labs/flux-kontext-pro/predictions`, {
      method: 'POST',
      headers: AUTH,
      body: JSON.stringify({ input: { prompt: 'p', input_image: dataUri(await testImage()) } }),
    });
    expect(replicate.status).toBe(201);
    em.setScenario({ faults: [{ kind: 'reset', on: 'submit', after_accept: true }] });
    const reset = await fetch(`${em.origin}/v1/models/black-forest-labs/flux-kontext-pro/predictions`, {
      method: 'POST',
      headers: AUTH,
      body: JSON.stringify({ input: { prompt: 'p', input_image: dataUri(await testImage()) } }),
    }).catch((e: unknown) => e);
    expect(reset).toBeInstanceOf(Error);
    expect(em.requestLog().map((e) => [e.status, e.fault, e.accepted])).toEqual([
      [503, 'http 503 after accept', true],
      [503, 'http 503', undefined],
      [502, 'http 502 after accept', undefined],
      [201, undefined, true],
      [0, 'reset after accept', true],
    ]);
  });

  it('429 with Retry-After on the Nth status call only', async () => {
    const em = await emulator({
      queueMs: 5_000,
      scenario: { faults: [{ kind: 'http', on: 'status', nth: 2, status: 429, retry_after: 3 }] },
    });
    const { request_id: id } = await submit(em, await body());
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await api(em, 'GET', `/requests/${id}/status`);
      statuses.push(res.status);
      if (res.status === 429) expect(res.headers.get('retry-after')).toBe('3');
      await res.arrayBuffer();
    }
    expect(statuses).toEqual([200, 429, 200, 200]);
  });

  it('nth + times fires on consecutive calls; on: any counts every call', async () => {
    const em = await emulator({ scenario: { faults: [{ kind: 'http', on: 'any', nth: 2, times: 2, status: 503 }] } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await api(em, 'GET', i % 2 ? `/models/${MODEL}` : '/requests/x/status')).status);
    expect(statuses).toEqual([404, 503, 503, 200, 404]);
  });

  it('reset destroys the connection without a reply (fetch throws, log status 0)', async () => {
    const em = await emulator({ scenario: { faults: [{ kind: 'reset', on: 'model', nth: 1 }] } });
    await expect(api(em, 'GET', `/models/${MODEL}`)).rejects.toThrow();
    expect((await api(em, 'GET', `/models/${MODEL}`)).status).toBe(200);
    expect(em.requestLog().map((e) => [e.status, e.fault])).toEqual([
      [0, 'reset'],
      [200, undefined],
    ]);
  });

  it('malformed-json answers 200 with a body that does not parse', async () => {
    const em = await emulator({ scenario: { faults: [{ kind: 'malformed-json', on: 'result' }] } });
    const res = await api(em, 'GET', '/requests/any/result');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/json/);
    await expect(res.json()).rejects.toThrow();
  });

  it('slow delays the reply', async () => {
    const em = await emulator({ scenario: { faults: [{ kind: 'slow', on: 'model', delay_ms: 300 }] } });
    const t0 = performance.now();
    expect((await api(em, 'GET', `/models/${MODEL}`)).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    expect(em.requestLog()[0]?.fault).toBe('slow 300ms');
  });

  it('random faults are transient, seeded and repeatable; submits only get refusals', async () => {
    const scenario = { fault_rate: 0.5, fault_seed: 7 };
    const run = async (): Promise<number[]> => {
      const em = await emulator({ scenario });
      const out: number[] = [];
      for (let i = 0; i < 40; i++) {
        const res = await api(em, 'GET', `/models/${MODEL}`).catch(() => undefined);
        out.push(res?.status ?? 0);
        await res?.arrayBuffer();
      }
      return out;
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(new Set(first)).toEqual(new Set([200, 429, 500, 503, 0]));

    const em = await emulator({ scenario: { fault_rate: 1, fault_seed: 3 } });
    for (let i = 0; i < 10; i++)
      expect([429, 503]).toContain((await api(em, 'POST', `/models/${MODEL}`, await body())).status);
    expect((await fetch(`${em.origin}/files/synthetic/10.bin`)).status).toBe(200); // downloads are spared by default

    em.setScenario({ fault_rate: 1, fault_targets: ['download'] });
    expect((await api(em, 'GET', `/models/${MODEL}`)).status).toBe(200);
    const dl = await fetch(`${em.origin}/files/synthetic/10.bin`).catch(() => undefined);
    expect(dl?.status ?? 0).not.toBe(200);
  });
});
