/** Shared helpers for the emulator's integration tests: real HTTP over loopback, no mocks. */
import sharp from 'sharp';
import { onTestFinished } from 'vitest';
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../../../src/emulator/index.js';

export const MODEL = 'blackforestlabs/flux-1-kontext/pro/edit';
/** The headers every API call of these tests carries (a bearer token, JSON). */
export const AUTH = { authorization: 'Bearer test-token', 'content-type': 'application/json' };

/**
 * An emulator with short timings, closed when the test that started it finishes (`onTestFinished`,
 * not a module-level `afterEach`: a module is evaluated once per worker, so with `isolate: false`
 * such a hook would be registered for the first test file only).
 */
export async function emulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const em = await startEmulator({ queueMs: 5, runMs: 5, ...options });
  onTestFinished(() => em.close());
  return em;
}

/** A small test image (PNG), distinct per colour. */
export async function testImage(color = '#3366cc', width = 80, height = 60): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: color } })
    .png()
    .toBuffer();
}

export function dataUri(png: Buffer): string {
  return `data:image/png;base64,${png.toString('base64')}`;
}

export async function api(
  em: EmulatorHandle,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = AUTH,
): Promise<Response> {
  return fetch(`${em.baseUrl}${path}`, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
}

export interface Submitted {
  request_id: string;
  status_url: string;
  result_url: string;
  cancel_url: string;
}

export async function submit(em: EmulatorHandle, body: Record<string, unknown>): Promise<Submitted> {
  const res = await api(em, 'POST', `/models/${MODEL}`, body);
  if (res.status !== 200) throw new Error(`submit answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as Submitted;
}

/** Poll status until it leaves the queue/run states; returns the final status word. */
export async function settle(em: EmulatorHandle, id: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const s = (await (await api(em, 'GET', `/requests/${id}/status`)).json()) as { status: string };
    if (s.status !== 'in_queue' && s.status !== 'in_progress') return s.status;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`request ${id} did not finish in ${timeoutMs} ms`);
}

export interface ResultBody {
  request_id: string;
  status: string;
  output?: { image: string };
  error?: { code: string; message: string };
  created_at: string;
  finished_at?: string;
}

/** Submit, wait, fetch the result. */
export async function runToResult(em: EmulatorHandle, body: Record<string, unknown>): Promise<ResultBody> {
  const { request_id: id } = await submit(em, body);
  await settle(em, id);
  return (await (await api(em, 'GET', `/requests/${id}/result`)).json()) as ResultBody;
}

/** Submit, wait, download the output bytes. */
export async function runToBytes(em: EmulatorHandle, body: Record<string, unknown>): Promise<Buffer> {
  const result = await runToResult(em, body);
  if (!result.output) throw new Error(`no output: ${JSON.stringify(result)}`);
  return Buffer.from(await (await fetch(result.output.image)).arrayBuffer());
}
