/**
 * Shared set-up for provider integration tests: a real emulator on 127.0.0.1, the real client
 * with fast poll/retry policies, a temp folder, and a record of every error thrown so the
 * suite can prove the token never leaks.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll } from 'vitest';
import { createRuntime, seededRandom, type Runtime } from '../../../src/runtime.js';
import { startEmulator, type EmulatorHandle, type ScenarioInput } from '../../../src/emulator/index.js';
import {
  createRunComfyProvider,
  type RunComfyOptions,
  type RunComfyProvider,
} from '../../../src/providers/runcomfy/client.js';
import type { RetryNotice } from '../../../src/providers/types.js';
import type { EditRequest } from '../../../src/providers/types.js';

export const TOKEN = 'rc-test-SECRET-token-5f2a9c71';
export const MODEL = 'blackforestlabs/flux-1-kontext/pro/edit';

const FAST = {
  poll: { firstDelayMs: 10, factor: 1.5, maxDelayMs: 40 },
  retry: { maxAttempts: 4, baseMs: 5, capMs: 20, maxRetryAfterMs: 1_000 },
} as const;

let imageDataUri: string | undefined;

/** A small PNG as a data URI: the emulator fetches `image_url` like the real service. */
async function inputImage(): Promise<string> {
  imageDataUri ??= `data:image/png;base64,${(
    await sharp({ create: { width: 32, height: 24, channels: 3, background: '#3377aa' } })
      .png()
      .toBuffer()
  ).toString('base64')}`;
  return imageDataUri;
}

export async function editRequest(overrides: Partial<EditRequest> = {}): Promise<EditRequest> {
  return { model: MODEL, prompt: 'Make the sky orange', imageUrl: await inputImage(), seed: 7, ...overrides };
}

export interface Harness {
  readonly emulator: EmulatorHandle;
  readonly provider: RunComfyProvider;
  readonly dir: string;
  readonly rt: Runtime;
  readonly retries: RetryNotice[];
  /** Files left in `dir` (hidden temp files included). */
  files(): Promise<string[]>;
  count(method: string, pathPart: string): number;
  close(): Promise<void>;
}

/** Every error any test caught, for the token-leak check. */
const caughtErrors: unknown[] = [];

// Every test file using the harness also proves that none of the errors it provoked leaks the token.
afterAll(() => {
  const leaky = caughtErrors.filter((e) => errorTexts(e).includes(TOKEN));
  if (leaky.length > 0) throw new Error(`${leaky.length} error(s) carried the API token`);
});

/** Await a promise that must reject; the error is recorded for the leak check. */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    caughtErrors.push(e);
    return e;
  }
  throw new Error('expected a rejection');
}

export async function harness(
  options: { scenario?: ScenarioInput; queueMs?: number; runMs?: number; client?: Partial<RunComfyOptions> } = {},
): Promise<Harness> {
  const emulator = await startEmulator({
    queueMs: options.queueMs ?? 20,
    runMs: options.runMs ?? 30,
    ...(options.scenario ? { scenario: options.scenario } : {}),
  });
  const dir = await mkdtemp(join(tmpdir(), 'kontext-provider-'));
  const rt = createRuntime({ env: {}, random: seededRandom(42) });
  const retries: RetryNotice[] = [];
  const provider = createRunComfyProvider({
    baseUrl: emulator.baseUrl,
    token: TOKEN,
    rt,
    allowHosts: ['127.0.0.1'],
    ...FAST,
    onRetry: (info) => retries.push(info),
    ...options.client,
  });
  return {
    emulator,
    provider,
    dir,
    rt,
    retries,
    files: async () => (await readdir(dir)).sort(),
    count: (method, pathPart) =>
      emulator.requestLog().filter((e) => e.method === method && e.path.includes(pathPart)).length,
    close: async () => {
      await provider.close();
      await emulator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Every text an error carries: message, hint, stack, along the cause chain. */
export function errorTexts(e: unknown): string {
  const parts: string[] = [];
  for (let c: unknown = e, depth = 0; c !== undefined && c !== null && depth < 10; depth++) {
    if (c instanceof Error) {
      parts.push(c.message, c.stack ?? '', String((c as { hint?: unknown }).hint ?? ''));
      c = c.cause;
    } else {
      parts.push(String(c));
      break;
    }
  }
  return parts.join('\n');
}
