/**
 * The environment of a hosting command never carries an image-edit API credential: every
 * variable the model table names for any provider (src/models/credentials.ts) is withheld,
 * whatever its case, and the user's other variables pass through.
 */
import { describe, expect, it } from 'vitest';
import { commandEnv } from '../../../src/hosting/command-env.js';
import { PROVIDER_CREDENTIALS } from '../../../src/models/credentials.js';

const IMAGE = { path: '/p/a.png', sha256: 'a'.repeat(64), mediaType: 'image/png', bytes: 3 };

describe('commandEnv', () => {
  it('withholds every provider credential variable, in any case', () => {
    const names = Object.values(PROVIDER_CREDENTIALS).flatMap((c) => c.envGroups.flat());
    expect(names).toEqual(expect.arrayContaining(['RUNCOMFY_TOKEN', 'FAL_KEY_ID', 'FAL_KEY_SECRET']));
    const env: Record<string, string> = { HOME: '/home/me', AWS_PROFILE: 'uploads' };
    for (const name of names) {
      env[name] = `secret-of-${name}`;
      env[name.toLowerCase()] = `secret-of-${name}-lower`;
    }
    const out = commandEnv(env, IMAGE, '/tmp/kontext-host-x/aaa.png');
    for (const name of names) {
      expect(out[name], name).toBeUndefined();
      expect(out[name.toLowerCase()], name).toBeUndefined();
    }
    expect(Object.values(out).join('\n')).not.toContain('secret-of-');
    expect(out).toMatchObject({ HOME: '/home/me', AWS_PROFILE: 'uploads' });
    expect(out).toMatchObject({ KONTEXT_FILE: '/tmp/kontext-host-x/aaa.png', KONTEXT_SOURCE: '/p/a.png' });
  });
});
