/** KONTEXT_TEST_FAST_POLL: the emulator's poll policy for an API on loopback, and only when set to 1. */
import { describe, expect, it } from 'vitest';
import { EMULATOR_POLL_POLICY } from '../../../src/providers/runcomfy/poll.js';
import { testPollPolicy, testRereadMs, testRetryPolicy } from '../../../src/providers/test-poll.js';
import { createRuntime } from '../../../src/runtime.js';

const rt = (env: Record<string, string>) => createRuntime({ env });
const FAST = { KONTEXT_TEST_FAST_POLL: '1' };

describe('testPollPolicy', () => {
  it.each([
    ['runcomfy', { RUNCOMFY_MODEL_API_BASE: 'http://127.0.0.1:4123/v1' }],
    ['bfl', { BFL_API_BASE: 'http://localhost:9/' }],
    ['replicate', { REPLICATE_API_BASE: 'http://[::1]:8080' }],
    ['emulator', {}],
    ['fal', { FAL_QUEUE_BASE: 'http://localhost:9/' }],
    ['runcomfy', { RUNCOMFY_MODEL_API_BASE: 'http://[0:0:0:0:0:0:0:1]:4123/v1' }],
    // Reached only through a test's proxy: the name never resolves (RFC 6761).
    ['runcomfy', { RUNCOMFY_MODEL_API_BASE: 'http://api.kontext-proxy.invalid:4123/v1' }],
    ['bfl', { BFL_API_BASE: 'https://api.INVALID./' }],
  ])('%s on loopback with the knob set: the emulator policy', (name, env) => {
    expect(testPollPolicy(name, rt({ ...FAST, ...env }))).toEqual(EMULATOR_POLL_POLICY);
    expect(testRetryPolicy(name, rt({ ...FAST, ...env }))).toEqual({ baseMs: 20, capMs: 200 });
  });

  it.each([
    ['the knob unset', 'runcomfy', { RUNCOMFY_MODEL_API_BASE: 'http://127.0.0.1:4123/v1' }],
    [
      'the knob not 1',
      'runcomfy',
      { KONTEXT_TEST_FAST_POLL: 'true', RUNCOMFY_MODEL_API_BASE: 'http://127.0.0.1:1/v1' },
    ],
    ['the public API', 'runcomfy', FAST],
    ['an API on a private network', 'bfl', { ...FAST, BFL_API_BASE: 'http://10.0.0.8/' }],
    ['a public base', 'replicate', { ...FAST, REPLICATE_API_BASE: 'https://api.replicate.com' }],
    // Loopback by name only: a resolver may send these elsewhere (review-ag 8).
    ['a *.localhost name', 'runcomfy', { ...FAST, RUNCOMFY_MODEL_API_BASE: 'http://api.localhost:4123/v1' }],
    ['localhost with its root dot', 'bfl', { ...FAST, BFL_API_BASE: 'http://localhost.:9/' }],
    ['.invalid not at the end', 'runcomfy', { ...FAST, RUNCOMFY_MODEL_API_BASE: 'https://api.invalid.example.com/v1' }],
    ['a host named invalid', 'fal', { ...FAST, FAL_QUEUE_BASE: 'http://invalid/' }],
  ])('%s (%s): the client polls at its own pace, reads again and retries after its own pauses', (_what, name, env) => {
    expect(testPollPolicy(name, rt(env))).toBeUndefined();
    expect(testRereadMs(name, rt(env))).toBeUndefined();
    expect(testRetryPolicy(name, rt(env))).toBeUndefined();
  });

  it('the knob on loopback: a request is read again after a few ms, not 2, 5 and 10 s', () => {
    const env = { ...FAST, RUNCOMFY_MODEL_API_BASE: 'http://127.0.0.1:4123/v1' };
    expect(testRereadMs('runcomfy', rt(env))).toEqual([20, 50, 100]);
  });
});
