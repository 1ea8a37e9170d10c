/**
 * Set-up for the BFL and fal.ai client tests: the shared emulated harness (emulated.ts; both
 * protocols on one server, BFL's polling host on its second listener), the real client with fast
 * poll/retry policies, and the key-leak check over every error provoked.
 */
import { type BflOptions, createBflProvider } from '../../../src/providers/bfl/client.js';
import { createFalProvider, type FalOptions } from '../../../src/providers/fal/client.js';
import type { EditRequest, Provider } from '../../../src/providers/types.js';
import {
  editRequestFor,
  type EmulatedHarness,
  emulatedHarness,
  fastPolicies,
  type HarnessSetup,
  leakCheck,
} from './emulated.js';

export const BFL_KEY = 'bfl-test-SECRET-key-8d1e7a42';
export const FAL_KEY = 'fal-id-3c9b:fal-SECRET-4e0f77aa';

export const FAST = fastPolicies(5_000);

export function editRequest(overrides: Partial<EditRequest> = {}): Promise<EditRequest> {
  return editRequestFor('flux-kontext-pro', overrides);
}

export type HostedHarness<P extends Provider> = EmulatedHarness<P>;

export function bflHarness(setup: HarnessSetup<BflOptions> = {}): Promise<HostedHarness<Provider>> {
  return emulatedHarness(setup, (emulator, rt, onRetry) =>
    createBflProvider({
      key: BFL_KEY,
      baseUrl: emulator.origin,
      rt,
      allowHosts: ['127.0.0.1'],
      ...FAST,
      onRetry,
      ...setup.client,
    }),
  );
}

export function falHarness(setup: HarnessSetup<FalOptions> = {}): Promise<HostedHarness<Provider>> {
  return emulatedHarness(setup, (emulator, rt, onRetry) =>
    createFalProvider({
      key: FAL_KEY,
      baseUrl: emulator.origin,
      rt,
      allowHosts: ['127.0.0.1'],
      ...FAST,
      onRetry,
      ...setup.client,
    }),
  );
}

/** Await a promise that must reject; the error is kept for the key-leak check. */
export const rejection = leakCheck([BFL_KEY, FAL_KEY, FAL_KEY.split(':')[1] ?? FAL_KEY], 'an API key');
