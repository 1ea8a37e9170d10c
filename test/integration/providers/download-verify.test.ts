/**
 * Every byte that becomes an output is checked: an HTML page with a 200, an unasked-for gzip
 * encoding, a body longer than its Content-Length, a drip feed, a lying Content-Type. Against
 * the real emulator's download faults, and a hostile node:http server for the Content-Type lie.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../../src/errors.js';
import {
  DownloadFailedError,
  DownloadRefusedError,
  DownloadTimeoutError,
  type ProviderError,
} from '../../../src/providers/runcomfy/errors.js';
import { DEFAULT_DOWNLOAD_LIMITS, resolveDownloadLimits } from '../../../src/providers/runcomfy/download-limits.js';
import { editRequest, harness, rejection, type Harness } from './harness.js';
import { stopEventLoop } from '../../helpers/stopped.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function finishedOutput(hh: Harness): Promise<string> {
  const { requestId } = await hh.provider.submit(await editRequest());
  const { outputUrls } = await hh.provider.wait(requestId);
  return outputUrls[0]!;
}

describe('output bytes are verified before they are stored', () => {
  it('a clean output is a PNG with its size, type from the bytes', async () => {
    h = await harness();
    const got = await h.provider.download(await finishedOutput(h), join(h.dir, 'out.png'));
    expect(got.image).toMatchObject({ kind: 'png', ext: 'png', mediaType: 'image/png' });
    expect(got.image!.width).toBeGreaterThan(0);
    expect(got.mediaType).toBe('image/png');
  });

  it('an HTML page with a 200 is refused for good (exit 65, no retry), nothing left', async () => {
    h = await harness({ scenario: { faults: [{ kind: 'html-download' }] } });
    const url = await finishedOutput(h);
    const e = await rejection(h.provider.download(url, join(h.dir, 'out.png')));
    expect(e).toBeInstanceOf(DownloadRefusedError);
    expect((e as ProviderError).exitCode).toBe(ExitCode.DATA_ERR);
    expect((e as Error).message).toMatch(/HTML page/);
    expect(h.retries).toEqual([]);
    expect(await h.files()).toEqual([]);
  });

  it('a gzip Content-Encoding is refused (exit 65), nothing left', async () => {
    h = await harness({ scenario: { faults: [{ kind: 'gzip-download' }] } });
    const url = await finishedOutput(h);
    const e = await rejection(h.provider.download(url, join(h.dir, 'out.png')));
    expect(e).toBeInstanceOf(DownloadRefusedError);
    expect((e as Error).message).toMatch(/Content-Encoding "gzip"/);
    expect(await h.files()).toEqual([]);
  });

  it('a body longer than its Content-Length is refused and retried; exit 69 when it never stops', async () => {
    h = await harness({ scenario: { faults: [{ kind: 'overlong-download' }] } });
    const url = await finishedOutput(h);
    const e = await rejection(h.provider.download(url, join(h.dir, 'out.png')));
    expect(e).toBeInstanceOf(DownloadFailedError);
    expect((e as ProviderError).exitCode).toBe(ExitCode.UNAVAILABLE);
    expect(h.retries.length).toBeGreaterThan(0);
    expect(await h.files()).toEqual([]);
  });

  it('a body longer than declared once, then clean, arrives whole', async () => {
    h = await harness({ scenario: { faults: [{ kind: 'overlong-download', nth: 1 }] } });
    const got = await h.provider.download(await finishedOutput(h), join(h.dir, 'out.png'));
    expect(got.image?.kind).toBe('png');
    expect(h.retries.map((r) => r.reason)).toEqual(['damaged image']);
  });

  it('a drip feed is abandoned by the throughput rule, retried, then fails with exit 75', async () => {
    h = await harness({
      scenario: { faults: [{ kind: 'drip-download', bytes: 1, interval_ms: 20 }] },
      client: { downloadLimits: { minBytes: 1024, windowMs: 150, deadlineMs: 60_000 } },
    });
    const url = await finishedOutput(h);
    const e = await rejection(h.provider.download(url, join(h.dir, 'out.png')));
    expect(e).toBeInstanceOf(DownloadTimeoutError);
    expect((e as DownloadTimeoutError).reason).toBe('stalled');
    expect((e as ProviderError).exitCode).toBe(ExitCode.TEMP_FAIL);
    expect(h.retries.every((r) => r.reason === 'stalled')).toBe(true);
    expect(await h.files()).toEqual([]);
  });

  it('the overall deadline ends a drip feed for good (no retry after it), exit 75', async () => {
    h = await harness({
      scenario: { faults: [{ kind: 'drip-download', bytes: 16, interval_ms: 50 }] },
      client: { downloadLimits: { minBytes: 1, windowMs: 60_000, deadlineMs: 200 } },
    });
    const url = await finishedOutput(h);
    const e = await rejection(h.provider.download(url, join(h.dir, 'out.png')));
    expect(e).toBeInstanceOf(DownloadTimeoutError);
    expect((e as DownloadTimeoutError).reason).toBe('deadline');
    expect(h.retries).toEqual([]);
    expect(await h.files()).toEqual([]);
  });

  it('a download the process was stopped during is not failed for the time stopped (walk-ac 3)', async () => {
    // 64 KiB at 4 KiB per 10 ms, stopped (the event loop blocked, the emulator too) for 500 ms
    // from 50 ms on: the deadline's timer (400 ms) ran on waking and failed it for good, and the
    // throughput window spanning the stop had seen too few bytes (a stall: retried).
    h = await harness({
      scenario: { faults: [{ kind: 'drip-download', bytes: 4096, interval_ms: 10, pad_to: 65_536 }] },
      client: { downloadLimits: { minBytes: 32 * 1024, windowMs: 200, deadlineMs: 400 } },
    });
    const url = await finishedOutput(h);
    const got = h.provider.download(url, join(h.dir, 'out.png'));
    setTimeout(() => stopEventLoop(500), 50);
    expect((await got).bytes).toBe(65_536);
    expect(h.retries).toEqual([]);
  });

  it('limits come from options, then KONTEXT_DOWNLOAD_* env, then defaults', () => {
    const env = {
      KONTEXT_DOWNLOAD_DEADLINE_MS: '5000',
      KONTEXT_DOWNLOAD_MIN_BYTES: 'x',
      KONTEXT_DOWNLOAD_WINDOW_MS: '7',
    };
    expect(resolveDownloadLimits(env, { windowMs: 9 })).toEqual({ deadlineMs: 5000, minBytes: 64 * 1024, windowMs: 9 });
  });

  it('a delay past what a Node timer holds (2^31 - 1 ms) is ignored, as an invalid value is', () => {
    // Node runs such a timer after 1 ms: the deadline would end the download at once.
    const env = { KONTEXT_DOWNLOAD_DEADLINE_MS: '3000000000', KONTEXT_DOWNLOAD_WINDOW_MS: '2147483648' };
    expect(resolveDownloadLimits(env)).toEqual(DEFAULT_DOWNLOAD_LIMITS);
    expect(resolveDownloadLimits({}, { windowMs: 2_147_483_647 }).windowMs).toBe(2_147_483_647);
  });
});

/** A server whose Content-Type lies: JPEG bytes as image/png, and text as image/png. */
let server: Server;
let origin: string;
let jpeg: Buffer;
beforeAll(async () => {
  jpeg = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#884422' } })
    .jpeg()
    .toBuffer();
  server = createServer((req, res) => {
    if (req.url === '/lying.png') {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(jpeg.length) }).end(jpeg);
    } else if (req.url === '/cut.jpg') {
      const cut = jpeg.subarray(0, jpeg.length - 10);
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(cut.length) }).end(cut);
    } else {
      res.writeHead(200, { 'content-type': 'image/png' }).end('just text, chunked');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});

describe('the output type comes from the bytes', () => {
  it('JPEG bytes sent as image/png are a JPEG (type, extension, size)', async () => {
    h = await harness();
    const got = await h.provider.download(`${origin}/lying.png`, join(h.dir, 'x'));
    expect(got.image).toEqual({ kind: 'jpeg', mediaType: 'image/jpeg', ext: 'jpg', width: 40, height: 30 });
    expect(got.mediaType).toBe('image/jpeg');
  });

  it('a JPEG whose declared body is itself cut short is damaged: retried, then exit 69', async () => {
    h = await harness();
    const e = await rejection(h.provider.download(`${origin}/cut.jpg`, join(h.dir, 'x')));
    expect(e).toBeInstanceOf(DownloadFailedError);
    expect((e as Error).message).toMatch(/EOI/);
    expect(await h.files()).toEqual([]);
  });

  it('text without a Content-Length, sent as image/png, is refused (exit 65)', async () => {
    h = await harness();
    const e = await rejection(h.provider.download(`${origin}/text`, join(h.dir, 'x')));
    expect(e).toBeInstanceOf(DownloadRefusedError);
    expect(await h.files()).toEqual([]);
  });
});
