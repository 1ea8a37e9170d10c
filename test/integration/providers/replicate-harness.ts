/**
 * Replicate client against the real emulator on 127.0.0.1 (its Replicate protocol): the shared
 * emulated harness (emulated.ts) with fast poll/retry policies, and every error the tests
 * provoke checked for the token.
 */
import {
  createReplicateProvider,
  type ReplicateOptions,
  type ReplicateProvider,
} from '../../../src/providers/replicate/client.js';
import type { EditRequest } from '../../../src/providers/types.js';
import {
  editRequestFor,
  type EmulatedHarness,
  emulatedHarness,
  fastPolicies,
  type HarnessSetup,
  leakCheck,
} from './emulated.js';

const TOKEN = 'r8_test-SECRET-replicate-9c41d2';
const MODEL = 'blackforestlabs/flux-1-kontext/pro/edit';

export function editRequest(overrides: Partial<EditRequest> = {}): Promise<EditRequest> {
  return editRequestFor(MODEL, overrides);
}

export interface ReplicateHarness extends EmulatedHarness<ReplicateProvider> {
  /** Requests per route kind: creates, prediction reads, cancels, downloads. */
  counts(): { create: number; read: number; cancel: number; download: number };
}

export const rejection = leakCheck([TOKEN], 'the Replicate token');

export async function replicateHarness(options: HarnessSetup<ReplicateOptions> = {}): Promise<ReplicateHarness> {
  const h = await emulatedHarness<ReplicateProvider, ReplicateOptions>(options, (emulator, rt, onRetry) =>
    createReplicateProvider({
      baseUrl: emulator.origin,
      token: TOKEN,
      rt,
      allowHosts: ['127.0.0.1'],
      ...fastPolicies(1_000),
      onRetry,
      ...options.client,
    }),
  );
  const log = () => h.emulator.requestLog();
  return {
    ...h,
    counts: () => ({
      create: log().filter((e) => e.method === 'POST' && e.path.endsWith('/predictions')).length,
      read: log().filter((e) => e.method === 'GET' && e.path.startsWith('/v1/predictions/')).length,
      cancel: log().filter((e) => e.method === 'POST' && e.path.endsWith('/cancel')).length,
      download: log().filter((e) => e.path.startsWith('/replicate-delivery/')).length,
    }),
  };
}
