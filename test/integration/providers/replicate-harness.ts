/**
 * Replicate client against the real emulator on 127.0.0.1 (its Replicate protocol), with fast
 * poll/retry policies, and every error the tests provoke checked for the token.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll } from 'vitest';
import { startEmulator, type EmulatorHandle, type ScenarioInput } from '../../../src/emulator/index.js';
import {
  createReplicateProvider,
  type ReplicateOptions,
  type ReplicateProvider,
} from '../../../src/providers/replicate/client.js';
import type { EditRequest, RetryNotice } from '../../../src/providers/types.js';
import { createRuntime, seededRandom, type Runtime } from '../../../src/runtime.js';
import { errorTexts } from './harness.js';

const TOKEN = 'r8_test-SECRET-replicate-9c41d2';
const MODEL = 'blackforestlabs/flux-1-kontext/pro/edit';

const FAST = {
  poll: { firstDelayMs: 10, factor: 1.5, maxDelayMs: 40 },
  retry: { maxAttempts: 4, baseMs: 5, capMs: 20, maxRetryAfterMs: 1_000 },
} as const;

let png: string | undefined;
export async function editRequest(overrides: Partial<EditRequest> = {}): Promise<EditRequest> {
  png ??= `data:image/png;base64,${(
    await sharp({ create: { width: 32, height: 24, channels: 3, background: '#aa7733' } })
      .png()
      .toBuffer()
  ).toString('base64')}`;
  return { model: MODEL, prompt: 'Make the sky orange', imageUrl: png, seed: 7, ...overrides };
}

export interface ReplicateHarness {
  readonly emulator: EmulatorHandle;
  readonly provider: ReplicateProvider;
  readonly dir: string;
  readonly rt: Runtime;
  readonly retries: RetryNotice[];
  /** Requests per route kind: creates, prediction reads, cancels, downloads. */
  counts(): { create: number; read: number; cancel: number; download: number };
  close(): Promise<void>;
}

const caught: unknown[] = [];
afterAll(() => {
  const leaky = caught.filter((e) => errorTexts(e).includes(TOKEN));
  if (leaky.length > 0) throw new Error(`${leaky.length} error(s) carried the Replicate token`);
});

export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    caught.push(e);
    return e;
  }
  throw new Error('expected a rejection');
}

export async function replicateHarness(
  options: { scenario?: ScenarioInput; queueMs?: number; runMs?: number; client?: Partial<ReplicateOptions> } = {},
): Promise<ReplicateHarness> {
  const emulator = await startEmulator({
    queueMs: options.queueMs ?? 20,
    runMs: options.runMs ?? 30,
    ...(options.scenario ? { scenario: options.scenario } : {}),
  });
  const dir = await mkdtemp(join(tmpdir(), 'kontext-replicate-'));
  const rt = createRuntime({ env: {}, random: seededRandom(42) });
  const retries: RetryNotice[] = [];
  const provider = createReplicateProvider({
    baseUrl: emulator.origin,
    token: TOKEN,
    rt,
    allowHosts: ['127.0.0.1'],
    ...FAST,
    onRetry: (info) => retries.push(info),
    ...options.client,
  });
  const log = () => emulator.requestLog();
  return {
    emulator,
    provider,
    dir,
    rt,
    retries,
    counts: () => ({
      create: log().filter((e) => e.method === 'POST' && e.path.endsWith('/predictions')).length,
      read: log().filter((e) => e.method === 'GET' && e.path.startsWith('/v1/predictions/')).length,
      cancel: log().filter((e) => e.method === 'POST' && e.path.endsWith('/cancel')).length,
      download: log().filter((e) => e.path.startsWith('/replicate-delivery/')).length,
    }),
    close: async () => {
      await provider.close();
      await emulator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
