/**
 * Set-up for the BFL and fal.ai client tests: the real emulator on 127.0.0.1 (both protocols on
 * one server, BFL's polling host on its second listener), the real client with fast poll/retry
 * policies, a temp folder, and the key-leak check of harness.ts over every error provoked.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll } from 'vitest';
import { type EmulatorHandle, type ScenarioInput, startEmulator } from '../../../src/emulator/index.js';
import { type BflOptions, createBflProvider } from '../../../src/providers/bfl/client.js';
import { createFalProvider, type FalOptions } from '../../../src/providers/fal/client.js';
import type { EditRequest, Provider, RetryNotice } from '../../../src/providers/types.js';
import { createRuntime, seededRandom, type Runtime } from '../../../src/runtime.js';
import { errorTexts } from './harness.js';

const BFL_KEY = 'bfl-test-SECRET-key-8d1e7a42';
export const FAL_KEY = 'fal-id-3c9b:fal-SECRET-4e0f77aa';

export const FAST = {
  poll: { firstDelayMs: 10, factor: 1.5, maxDelayMs: 40 },
  retry: { maxAttempts: 4, baseMs: 5, capMs: 20, maxRetryAfterMs: 5_000 },
} as const;

let png: Buffer | undefined;

async function inputPng(): Promise<Buffer> {
  png ??= await sharp({ create: { width: 32, height: 24, channels: 3, background: '#3377aa' } })
    .png()
    .toBuffer();
  return png;
}

export async function editRequest(overrides: Partial<EditRequest> = {}): Promise<EditRequest> {
  const imageUrl = `data:image/png;base64,${(await inputPng()).toString('base64')}`;
  return { model: 'flux-kontext-pro', prompt: 'Make the sky orange', imageUrl, seed: 7, ...overrides };
}

export interface HostedHarness<P extends Provider> {
  readonly emulator: EmulatorHandle;
  readonly provider: P & { close(): Promise<void> };
  readonly dir: string;
  readonly rt: Runtime;
  readonly retries: RetryNotice[];
  files(): Promise<string[]>;
  /** Log entries whose method matches and whose path contains `pathPart`. */
  count(method: string, pathPart: string, status?: number): number;
  close(): Promise<void>;
}

interface Setup<O> {
  scenario?: ScenarioInput;
  queueMs?: number;
  runMs?: number;
  deliveryTtlMs?: number;
  client?: Partial<O>;
}

async function harnessWith<P extends Provider, O>(
  setup: Setup<O>,
  make: (emulator: EmulatorHandle, rt: Runtime, retries: RetryNotice[]) => P & { close(): Promise<void> },
): Promise<HostedHarness<P>> {
  const emulator = await startEmulator({
    queueMs: setup.queueMs ?? 20,
    runMs: setup.runMs ?? 30,
    ...(setup.scenario ? { scenario: setup.scenario } : {}),
    ...(setup.deliveryTtlMs === undefined ? {} : { deliveryTtlMs: setup.deliveryTtlMs }),
  });
  const dir = await mkdtemp(join(tmpdir(), 'kontext-hosted-'));
  const rt = createRuntime({ env: {}, random: seededRandom(42) });
  const retries: RetryNotice[] = [];
  const provider = make(emulator, rt, retries);
  return {
    emulator,
    provider,
    dir,
    rt,
    retries,
    files: async () => (await readdir(dir)).sort(),
    count: (method, pathPart, status) =>
      emulator
        .requestLog()
        .filter(
          (e) => e.method === method && e.path.includes(pathPart) && (status === undefined || e.status === status),
        ).length,
    close: async () => {
      await provider.close();
      await emulator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function bflHarness(setup: Setup<BflOptions> = {}): ReturnType<typeof harnessWith<Provider, BflOptions>> {
  return harnessWith(setup, (emulator, rt, retries) =>
    createBflProvider({
      key: BFL_KEY,
      baseUrl: emulator.origin,
      rt,
      allowHosts: ['127.0.0.1'],
      ...FAST,
      onRetry: (info) => retries.push(info),
      ...setup.client,
    }),
  );
}

export function falHarness(setup: Setup<FalOptions> = {}): ReturnType<typeof harnessWith<Provider, FalOptions>> {
  return harnessWith(setup, (emulator, rt, retries) =>
    createFalProvider({
      key: FAL_KEY,
      baseUrl: emulator.origin,
      rt,
      allowHosts: ['127.0.0.1'],
      ...FAST,
      onRetry: (info) => retries.push(info),
      ...setup.client,
    }),
  );
}

/** Every error a test provoked, for the key-leak check. */
const caught: unknown[] = [];

// Every test file using this harness also proves none of the errors it provoked carries a key.
afterAll(() => {
  const leaky = caught.filter((e) =>
    [BFL_KEY, FAL_KEY, FAL_KEY.split(':')[1] ?? FAL_KEY].some((k) => errorTexts(e).includes(k)),
  );
  if (leaky.length > 0) throw new Error(`${leaky.length} error(s) carried an API key`);
});

/** Await a promise that must reject; the error is kept for the leak check. */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    caught.push(e);
    return e;
  }
  throw new Error('expected a rejection');
}
