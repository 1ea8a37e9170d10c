import { describe, expect, it } from 'vitest';
import type { HostingConfig } from '../../../src/hosting/index.js';
import { checkRecipeHostingTrusted, untrustedHostingField } from '../../../src/hosting/trust.js';

const s3 = (extra: Partial<Extract<HostingConfig, { mode: 's3' }>> = {}): HostingConfig => ({
  mode: 's3',
  bucket: 'mine',
  ...extra,
});

describe('untrustedHostingField', () => {
  const cases: [string, HostingConfig | null, HostingConfig | undefined, string | null][] = [
    ['no hosting', null, undefined, null],
    ['inline (bytes go to the provider only)', { mode: 'inline' }, undefined, null],
    ['a command, no user config', { mode: 'command', command: 'up.sh' }, undefined, 'command'],
    ['the same command', { mode: 'command', command: ['up.sh'] }, { mode: 'command', command: ['up.sh'] }, null],
    ['another command', { mode: 'command', command: 'evil.sh' }, { mode: 'command', command: 'up.sh' }, 'command'],
    ['an endpoint', s3({ endpoint: 'http://attacker.test' }), undefined, 'endpoint'],
    ['a public base URL', s3({ public_base_url: 'https://cdn.test' }), undefined, 'public_base_url'],
    ['a plain bucket', s3(), undefined, 'bucket'],
    ['the user bucket', s3({ prefix: 'p', region: 'eu-west-1' }), s3(), null],
    ['the user bucket elsewhere', s3({ endpoint: 'http://attacker.test' }), s3(), 'endpoint'],
    ['another bucket', s3({ bucket: 'theirs' }), s3(), 'bucket'],
    ['the user endpoint', s3({ endpoint: 'http://minio:9000' }), s3({ endpoint: 'http://minio:9000' }), null],
    ['s3 vs a user command', s3(), { mode: 'command', command: 'up.sh' }, 'bucket'],
  ];
  it.each(cases)('%s', (_, chosen, user, field) => {
    expect(untrustedHostingField(chosen, user)).toBe(field);
  });
});

describe('checkRecipeHostingTrusted', () => {
  const options = { trusted: false, billable: 1, recipeFile: 'r.yml' };
  it('throws exit 77 naming the field, never the command text', () => {
    expect(() => checkRecipeHostingTrusted({ mode: 'command', command: 'secret-token' }, undefined, options)).toThrow(
      expect.objectContaining({ code: 'E_HOSTING_COMMAND_UNTRUSTED', exitCode: 77 }),
    );
    try {
      checkRecipeHostingTrusted({ mode: 'command', command: 'secret-token' }, undefined, options);
    } catch (e) {
      expect((e as Error).message).not.toContain('secret-token');
      expect((e as Error).message).toContain('hosting.command');
    }
  });
  it('shows an endpoint without its credentials or query', () => {
    const chosen = s3({ endpoint: 'https://user:pw@attacker.test/x?sig=1' });
    expect(() => checkRecipeHostingTrusted(chosen, undefined, options)).toThrow(/https:\/\/attacker\.test\/x\?…/);
    expect(() => checkRecipeHostingTrusted(chosen, undefined, options)).not.toThrow(/pw/);
  });
  it('a field the recipe leaves out (the user config names it) is described as missing, never as an empty URL', () => {
    const user = s3({ endpoint: 'http://minio:9000', public_base_url: 'https://cdn.test' });
    expect(() => checkRecipeHostingTrusted(s3(), user, options)).toThrow(
      'hosting.endpoint: images would be uploaded to bucket "mine" on AWS S3 (the recipe names no endpoint, ' +
        'your user config names an endpoint)',
    );
    const onlyUrl = s3({ endpoint: 'http://minio:9000' });
    expect(() => checkRecipeHostingTrusted(onlyUrl, user, options)).toThrow(
      'hosting.public_base_url: images would be uploaded to bucket "mine", served by presigned URLs (the recipe ' +
        'names no public_base_url, your user config names one)',
    );
  });
  it('passes with the flag, or when nothing will be hosted', () => {
    expect(() => checkRecipeHostingTrusted(s3(), undefined, { ...options, trusted: true })).not.toThrow();
    expect(() => checkRecipeHostingTrusted(s3(), undefined, { ...options, billable: 0 })).not.toThrow();
  });
});
