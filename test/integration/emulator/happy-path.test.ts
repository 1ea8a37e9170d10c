import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  api,
  dataUri,
  emulator,
  runToBytes,
  runToResult,
  settle,
  submit,
  testImage,
  type ResultBody,
} from './helpers.js';

describe('emulator happy path', () => {
  it('submit → poll → result → download a PNG sized to the aspect ratio', async () => {
    const em = await emulator();
    const sub = await submit(em, {
      prompt: 'Make the sky pink',
      image_url: dataUri(await testImage()),
      seed: 42,
      aspect_ratio: '16:9',
    });
    expect(sub.status_url).toBe(`${em.baseUrl}/requests/${sub.request_id}/status`);
    expect(sub.result_url).toBe(`${em.baseUrl}/requests/${sub.request_id}/result`);
    expect(sub.cancel_url).toBe(`${em.baseUrl}/requests/${sub.request_id}/cancel`);
    expect(await settle(em, sub.request_id)).toBe('completed');

    const result = (await (await fetch(sub.result_url, { headers: { authorization: 'Bearer t' } })).json()) as Record<
      string,
      unknown
    >;
    expect(result).toMatchObject({
      request_id: sub.request_id,
      status: 'succeeded',
      output: { image: `${em.origin}/files/${sub.request_id}/output.png` },
    });
    expect(Date.parse(String(result.created_at))).toBeLessThanOrEqual(Date.parse(String(result.finished_at)));

    const dl = await fetch((result.output as { image: string }).image); // no Authorization, like the CDN
    expect(dl.status).toBe(200);
    expect(dl.headers.get('content-type')).toBe('image/png');
    const bytes = Buffer.from(await dl.arrayBuffer());
    expect(Number(dl.headers.get('content-length'))).toBe(bytes.length);
    const meta = await sharp(bytes).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBe(80);
    expect(meta.height).toBe(45);
  });

  it('serves the output_format asked for (jpeg, webp), its URL named for it; anything else is PNG', async () => {
    // walk-r: it served PNG whatever was asked, so a run asking webp on the emulator always warned.
    const em = await emulator();
    const image_url = dataUri(await testImage());
    for (const [asked, format, file, type] of [
      ['jpeg', 'jpeg', 'output.jpg', 'image/jpeg'],
      ['webp', 'webp', 'output.webp', 'image/webp'],
      ['png', 'png', 'output.png', 'image/png'],
      ['gif', 'png', 'output.png', 'image/png'],
    ] as const) {
      const result = await runToResult(em, { prompt: 'x', image_url, seed: 1, output_format: asked });
      const url = result.output?.image ?? '';
      expect(url.endsWith(`/${file}`)).toBe(true);
      const dl = await fetch(url);
      expect(dl.headers.get('content-type')).toBe(type);
      expect((await sharp(Buffer.from(await dl.arrayBuffer())).metadata()).format).toBe(format);
    }
  });

  it('keeps the input ratio without aspect_ratio and caps the long side at 1024', async () => {
    const em = await emulator();
    const small = await sharp(
      await runToBytes(em, { prompt: 'x', image_url: dataUri(await testImage('#884400', 120, 90)) }),
    ).metadata();
    expect([small.width, small.height]).toEqual([120, 90]);
    const big = await sharp(
      await runToBytes(em, {
        prompt: 'x',
        image_url: dataUri(await testImage('#884400', 1500, 500)),
        aspect_ratio: '9:16',
      }),
    ).metadata();
    expect([big.width, big.height]).toEqual([576, 1024]);
  });

  it('is deterministic: same input, prompt and seed give byte-identical output; any change shows', async () => {
    const em = await emulator();
    const image_url = dataUri(await testImage());
    const a = await runToBytes(em, { prompt: 'Add a red hat', image_url, seed: 7 });
    const b = await runToBytes(em, { prompt: 'Add a red hat', image_url, seed: 7 });
    const otherPrompt = await runToBytes(em, { prompt: 'Add a blue hat', image_url, seed: 7 });
    const otherSeed = await runToBytes(em, { prompt: 'Add a red hat', image_url, seed: 8 });
    expect(a.equals(b)).toBe(true);
    expect(a.equals(otherPrompt)).toBe(false);
    expect(a.equals(otherSeed)).toBe(false);
  });

  it('marks outputs as emulated (PNG tEXt) and visibly changes the input', async () => {
    const em = await emulator();
    const input = await testImage('#3366cc');
    const out = await runToBytes(em, { prompt: 'p', image_url: dataUri(input), seed: 1 });
    expect(out.includes(Buffer.from('tEXtSoftware\0kontext emulator', 'latin1'))).toBe(true);
    expect(out.toString('latin1')).toContain('EMULATED output');
    const centre = await sharp(out).extract({ left: 40, top: 30, width: 1, height: 1 }).removeAlpha().raw().toBuffer();
    expect([...centre]).not.toEqual([0x33, 0x66, 0xcc]);
  });

  it('draws a seed when none is given', async () => {
    const em = await emulator();
    const result = await runToResult(em, { prompt: 'p', image_url: dataUri(await testImage()) });
    expect(result.status).toBe('succeeded');
  });

  it('chains from its own output URLs by reading its job table: same bytes, no extra download', async () => {
    const em = await emulator();
    const first = await runToResult(em, { prompt: 'one', image_url: dataUri(await testImage()), seed: 1 });
    const firstBytes = Buffer.from(await (await fetch(first.output?.image ?? '')).arrayBuffer());
    const second = await runToResult(em, {
      prompt: 'two',
      image_url: first.output?.image,
      seed: 1,
      aspect_ratio: '1:1',
    });
    expect(second.status).toBe('succeeded');
    const secondBytes = Buffer.from(await (await fetch(second.output?.image ?? '')).arrayBuffer());
    expect([(await sharp(secondBytes).metadata()).width, (await sharp(secondBytes).metadata()).height]).toEqual([
      80, 80,
    ]);
    // The same input bytes another way in give the same output: the chain read the first output itself.
    const viaDataUri = await runToBytes(em, {
      prompt: 'two',
      image_url: dataUri(firstBytes),
      seed: 1,
      aspect_ratio: '1:1',
    });
    expect(secondBytes.equals(viaDataUri)).toBe(true);
    const downloads = em.requestLog().filter((e) => e.path.endsWith('/output.png'));
    // our download only
    expect(downloads.filter((e) => e.path === `/files/${first.request_id}/output.png`)).toHaveLength(1);
    expect(downloads).toHaveLength(3);
    expect(downloads.some((e) => e.internal)).toBe(false);
  });

  it('chains from an output asked as JPEG with the JPEG a client downloads, not the PNG it rendered', async () => {
    // review-y 3: the job table gave the PNG, so the chained pass's output differed from the same
    // request sent with the downloaded bytes (a cached input): one key, two images, a paid re-run below.
    const em = await emulator();
    const first = await runToResult(em, {
      prompt: 'one',
      image_url: dataUri(await testImage()),
      seed: 1,
      output_format: 'jpeg',
    });
    const jpeg = Buffer.from(await (await fetch(first.output?.image ?? '')).arrayBuffer());
    const chained = await runToBytes(em, { prompt: 'two', image_url: first.output?.image, seed: 1 });
    const viaDataUri = await runToBytes(em, {
      prompt: 'two',
      image_url: `data:image/jpeg;base64,${jpeg.toString('base64')}`,
      seed: 1,
    });
    expect(chained.equals(viaDataUri)).toBe(true);
  });

  it('fails a chain from an unknown or unfinished output of its own as a failed fetch would', async () => {
    const em = await emulator({ runMs: 2000 });
    const running = await submit(em, { prompt: 'slow', image_url: dataUri(await testImage()), seed: 1 });
    const ids = ['00000000-0000-4000-8000-000000000000', running.request_id];
    // Both chained jobs read their input as they start, long before the slow one has an output.
    const chained = await Promise.all(
      ids.map((id) => submit(em, { prompt: 'p', image_url: `${em.origin}/files/${id}/output.png`, seed: 1 })),
    );
    for (const [i, id] of ids.entries()) {
      const chainedId = chained[i]?.request_id ?? '';
      expect(await settle(em, chainedId)).toBe('completed');
      const r = (await (await api(em, 'GET', `/requests/${chainedId}/result`)).json()) as ResultBody;
      expect(r.status).toBe('failed');
      expect(r.error).toEqual({
        code: 'image_fetch_failed',
        message: `could not fetch image_url ${em.origin}/files/${id}/output.png: HTTP 404`,
      });
    }
    expect(em.requestLog().filter((e) => e.path.startsWith('/files/'))).toEqual([]);
  });

  it("fetches another emulator's output URLs over HTTP, logged there as internal and never faulted", async () => {
    const a = await emulator({ scenario: { faults: [{ kind: 'truncated-download' }] } });
    const b = await emulator();
    const first = await runToResult(a, { prompt: 'one', image_url: dataUri(await testImage()), seed: 1 });
    expect((await runToResult(b, { prompt: 'two', image_url: first.output?.image, seed: 1 })).status).toBe('succeeded');
    const fetched = a.requestLog().filter((e) => e.path.endsWith('/output.png'));
    expect(fetched).toMatchObject([{ status: 200, internal: true }]);
    expect(fetched[0]?.fault).toBeUndefined();
    // The download fault was left for the client's own download.
    await expect(fetch(first.output?.image ?? '').then((r) => r.arrayBuffer())).rejects.toThrow();
  });

  it('ends failed with image_fetch_failed when image_url cannot be fetched or is not an image', async () => {
    const em = await emulator();
    const png = await testImage();
    const host = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/ok.png') return void res.writeHead(200, { 'content-type': 'image/png' }).end(png);
      if (path === '/text') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('not an image');
      res.writeHead(403).end();
    });
    await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
    try {
      expect((await runToResult(em, { prompt: 'p', image_url: `${base}/ok.png?X-Amz-Signature=secret` })).status).toBe(
        'succeeded',
      );
      for (const url of [
        `${base}/expired.png?X-Amz-Signature=secret`,
        `${base}/text`,
        'http://127.0.0.1:1/closed.png',
      ]) {
        const r = await runToResult(em, { prompt: 'p', image_url: url });
        expect(r.status).toBe('failed');
        expect(r.error?.code).toBe('image_fetch_failed');
        expect(r.error?.message).toMatch(/could not fetch image_url/);
        expect(r.error?.message).not.toContain('secret');
      }
    } finally {
      await new Promise((r) => host.close(r));
    }
  });

  it('reports queue positions that count down while queued', async () => {
    const em = await emulator({ queueMs: 600, runMs: 5 });
    const image_url = dataUri(await testImage());
    const subs = [];
    for (let i = 0; i < 3; i++) subs.push(await submit(em, { prompt: `p${i}`, image_url, seed: i }));
    const last = subs[2]?.request_id ?? '';
    const first = (await (await api(em, 'GET', `/requests/${last}/status`)).json()) as {
      status: string;
      queue_position: number;
    };
    expect(first).toMatchObject({ status: 'in_queue', queue_position: 3 });
    await new Promise((r) => setTimeout(r, 450));
    const later = (await (await api(em, 'GET', `/requests/${last}/status`)).json()) as {
      status: string;
      queue_position?: number;
    };
    if (later.status === 'in_queue') expect(later.queue_position).toBeLessThan(3);
    expect(await settle(em, last)).toBe('completed');
  });

  it('serves model info with price and input schema', async () => {
    const em = await emulator({ priceUsd: 0.05 });
    const res = await api(em, 'GET', '/models/blackforestlabs/flux-1-kontext/pro/edit');
    expect(res.status).toBe(200);
    const info = (await res.json()) as {
      model_id: string;
      base_price_usd: number;
      input_schema: { properties: Record<string, { enum?: string[] }>; required: string[] };
    };
    expect(info.model_id).toBe('blackforestlabs/flux-1-kontext/pro/edit');
    expect(info.base_price_usd).toBe(0.05);
    expect(Object.keys(info.input_schema.properties).sort()).toEqual(['aspect_ratio', 'image_url', 'prompt', 'seed']);
    expect(info.input_schema.required.sort()).toEqual(['image_url', 'prompt']);
    expect(info.input_schema.properties.aspect_ratio?.enum).toContain('21:9');
  });
});
