import { describe, expect, it } from 'vitest';
import { api, dataUri, emulator, MODEL, testImage } from './helpers.js';

describe('emulator input checks', () => {
  it('requires a non-empty bearer token on /v1 routes (401)', async () => {
    const em = await emulator();
    const variants: Record<string, string>[] = [{}, { authorization: 'Bearer ' }, { authorization: 'Basic abc' }];
    for (const headers of variants) {
      const res = await api(em, 'GET', `/models/${MODEL}`, undefined, headers);
      expect(res.status).toBe(401);
      const body = (await res.json()) as { error_code: number; error_message: string };
      expect(body.error_code).toBe(400004);
      expect(body.error_message).toMatch(/Bearer/);
    }
    expect((await api(em, 'GET', '/requests/nope/status', undefined, {})).status).toBe(401);
  });

  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['missing prompt', { image_url: 'data:x' }, /prompt/],
    ['blank prompt', { prompt: '  ', image_url: 'data:x' }, /prompt/],
    ['missing image_url', { prompt: 'p' }, /image_url/],
    ['non-integer seed', { prompt: 'p', image_url: 'data:x', seed: 1.5 }, /seed/],
    ['string seed', { prompt: 'p', image_url: 'data:x', seed: '42' }, /seed/],
    ['negative seed', { prompt: 'p', image_url: 'data:x', seed: -1 }, /seed/],
    ['seed above 2^32-1', { prompt: 'p', image_url: 'data:x', seed: 4294967296 }, /seed/],
    ['unknown aspect ratio', { prompt: 'p', image_url: 'data:x', aspect_ratio: '5:4' }, /aspect_ratio/],
  ];
  it.each(cases)('422 for %s', async (_name, body, field) => {
    const em = await emulator();
    const res = await api(em, 'POST', `/models/${MODEL}`, body);
    expect(res.status).toBe(422);
    const err = (await res.json()) as { error_code: number; error_message: string };
    expect(err.error_message).toMatch(field);
    expect(em.requestLog().filter((e) => e.status === 200)).toEqual([]);
  });

  it('accepts the largest seed, every listed aspect ratio, and extra pass-through fields', async () => {
    const em = await emulator();
    const image_url = dataUri(await testImage());
    for (const aspect_ratio of ['21:9', '16:9', '4:3', '3:2', '1:1', '2:3', '3:4', '9:16', '9:21']) {
      const res = await api(em, 'POST', `/models/${MODEL}`, {
        prompt: 'p',
        image_url,
        seed: 4294967295,
        aspect_ratio,
        output_format: 'png',
      });
      expect(res.status).toBe(200);
    }
  });

  it('400 for a body that is not JSON', async () => {
    const em = await emulator();
    const res = await fetch(`${em.baseUrl}/models/${MODEL}`, {
      method: 'POST',
      headers: { authorization: 'Bearer t' },
      body: '{oops',
    });
    expect(res.status).toBe(400);
  });

  it('404 with error_code 404001 for unknown request ids', async () => {
    const em = await emulator();
    for (const [method, action] of [
      ['GET', 'status'],
      ['GET', 'result'],
      ['POST', 'cancel'],
    ] as const) {
      const res = await api(em, method, `/requests/does-not-exist/${action}`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error_code: number }).error_code).toBe(404001);
    }
    expect((await fetch(`${em.origin}/files/does-not-exist/output.png`)).status).toBe(404);
  });

  it('404 for unknown paths and 405 for a wrong method', async () => {
    const em = await emulator();
    expect((await api(em, 'GET', '/nothing/here')).status).toBe(404);
    const res = await api(em, 'GET', '/requests/abc/cancel');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });
});
