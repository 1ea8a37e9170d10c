/**
 * Set-up for the RunComfy client tests: the shared emulated harness (emulated.ts) with the
 * RunComfy client, and the token-leak check over every error a test provoked.
 */
import {
  createRunComfyProvider,
  type RunComfyOptions,
  type RunComfyProvider,
} from '../../../src/providers/runcomfy/client.js';
import type { EditRequest } from '../../../src/providers/types.js';
import {
  editRequestFor,
  type EmulatedHarness,
  emulatedHarness,
  fastPolicies,
  type HarnessSetup,
  leakCheck,
} from './emulated.js';

export { errorTexts } from './emulated.js';

export const TOKEN = 'rc-test-SECRET-token-5f2a9c71';
export const MODEL = 'blackforestlabs/flux-1-kontext/pro/edit';

export function editRequest(overrides: Partial<EditRequest> = {}): Promise<EditRequest> {
  return editRequestFor(MODEL, overrides);
}

export type Harness = EmulatedHarness<RunComfyProvider>;

/** Await a promise that must reject; the error is recorded for the token-leak check. */
export const rejection = leakCheck([TOKEN], 'the API token');

export function harness(options: HarnessSetup<RunComfyOptions> = {}): Promise<Harness> {
  return emulatedHarness<RunComfyProvider, RunComfyOptions>(options, (emulator, rt, onRetry) =>
    createRunComfyProvider({
      baseUrl: emulator.baseUrl,
      token: TOKEN,
      rt,
      allowHosts: ['127.0.0.1'],
      ...fastPolicies(1_000),
      onRetry,
      ...options.client,
    }),
  );
}
