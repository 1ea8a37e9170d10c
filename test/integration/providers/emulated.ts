/**
 * The core every provider client test harness shares (harness.ts for RunComfy,
 * bfl-fal-harness.ts, replicate-harness.ts): a real emulator on 127.0.0.1, the real client with
 * fast poll/retry policies, a temp folder, a small input image, and the secret-leak check over
 * every error a test provoked.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll } from 'vitest';
import { type EmulatorHandle, type ScenarioInput, startEmulator } from '../../../src/emulator/index.js';
import type { EditRequest, Provider, RetryNotice } from '../../../src/providers/types.js';
import { createRuntime, seededRandom, type Runtime } from '../../../src/runtime.js';

/** Poll and retry policies that keep a test's waits in milliseconds. */
export function fastPolicies(maxRetryAfterMs: number) {
  return {
    poll: { firstDelayMs: 10, factor: 1.5, maxDelayMs: 40 },
    retry: { maxAttempts: 4, baseMs: 5, capMs: 20, maxRetryAfterMs },
  } as const;
}

let png: Buffer | undefined;

/** A small PNG as a data URI: the emulator fetches `image_url` like a real service. */
async function inputDataUri(): Promise<string> {
  png ??= await sharp({ create: { width: 32, height: 24, channels: 3, background: '#3377aa' } })
    .png()
    .toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

/** An edit request for `model` with the small input image; `overrides` win. */
export async function editRequestFor(model: string, overrides: Partial<EditRequest>): Promise<EditRequest> {
  return { model, prompt: 'Make the sky orange', imageUrl: await inputDataUri(), seed: 7, ...overrides };
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

/**
 * The leak check of a harness module: every test file that imports it also proves that none of
 * the errors it provoked (through the returned `rejection`) carries one of `secrets`.
 */
export function leakCheck(secrets: readonly string[], what: string): (p: Promise<unknown>) => Promise<unknown> {
  const caught: unknown[] = [];
  afterAll(() => {
    const leaky = caught.filter((e) => secrets.some((s) => errorTexts(e).includes(s)));
    if (leaky.length > 0) throw new Error(`${leaky.length} error(s) carried ${what}`);
  });
  /** Await a promise that must reject; the error is kept for the leak check. */
  return async (p) => {
    try {
      await p;
    } catch (e) {
      caught.push(e);
      return e;
    }
    throw new Error('expected a rejection');
  };
}

export interface EmulatedHarness<P extends Provider> {
  readonly emulator: EmulatorHandle;
  readonly provider: P & { close(): Promise<void> };
  readonly dir: string;
  readonly rt: Runtime;
  readonly retries: RetryNotice[];
  /** Files left in `dir` (hidden temp files included). */
  files(): Promise<string[]>;
  /** Log entries whose method matches and whose path contains `pathPart` (and with `status`, if given). */
  count(method: string, pathPart: string, status?: number): number;
  close(): Promise<void>;
}

export interface HarnessSetup<O> {
  scenario?: ScenarioInput;
  queueMs?: number;
  runMs?: number;
  deliveryTtlMs?: number;
  client?: Partial<O>;
}

/** A started emulator, a temp folder, a seeded runtime and the client `make` builds on them. */
export async function emulatedHarness<P extends Provider, O>(
  setup: HarnessSetup<O>,
  make: (emulator: EmulatorHandle, rt: Runtime, onRetry: (n: RetryNotice) => void) => P & { close(): Promise<void> },
): Promise<EmulatedHarness<P>> {
  const emulator = await startEmulator({
    queueMs: setup.queueMs ?? 20,
    runMs: setup.runMs ?? 30,
    ...(setup.scenario ? { scenario: setup.scenario } : {}),
    ...(setup.deliveryTtlMs === undefined ? {} : { deliveryTtlMs: setup.deliveryTtlMs }),
  });
  const dir = await mkdtemp(join(tmpdir(), 'kontext-provider-'));
  const rt = createRuntime({ env: {}, random: seededRandom(42) });
  const retries: RetryNotice[] = [];
  const provider = make(emulator, rt, (n) => retries.push(n));
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
