/** Which env vars count as a provider's credentials (never their values). */
import { describe, expect, it } from 'vitest';
import { PROVIDER_CREDENTIALS, credentialEnvSet } from '../../../src/models/credentials.js';

describe('credentialEnvSet', () => {
  it('finds the first complete group', () => {
    expect(credentialEnvSet('bfl', { BFL_API_KEY: 'k' })).toEqual(['BFL_API_KEY']);
    expect(credentialEnvSet('fal', { FAL_KEY_ID: 'a', FAL_KEY_SECRET: 'b' })).toEqual(['FAL_KEY_ID', 'FAL_KEY_SECRET']);
    expect(credentialEnvSet('fal', { FAL_KEY: 'a:b', FAL_KEY_ID: 'a' })).toEqual(['FAL_KEY']);
    expect(credentialEnvSet('replicate', { REPLICATE_API_TOKEN: 'r8_x' })).toEqual(['REPLICATE_API_TOKEN']);
    expect(credentialEnvSet('runcomfy', { RUNCOMFY_TOKEN: 't' })).toEqual(['RUNCOMFY_TOKEN']);
  });

  it('half a group, blanks and other names do not count', () => {
    expect(credentialEnvSet('fal', { FAL_KEY_ID: 'a' })).toBeNull();
    expect(credentialEnvSet('fal', { FAL_KEY: '  ' })).toBeNull();
    expect(credentialEnvSet('bfl', { BFL_KEY: 'k', REPLICATE_API_TOKEN: 'r' })).toBeNull();
  });

  it('the emulator needs none', () => {
    expect(PROVIDER_CREDENTIALS.emulator.envGroups).toEqual([]);
  });
});
