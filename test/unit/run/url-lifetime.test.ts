/** Which hosting settings make URLs that live long enough to be made ahead of their nodes. */
import { describe, expect, it } from 'vitest';
import type { HostingConfig } from '../../../src/recipe/types.js';
import { MIN_AHEAD_URL_LIFETIME_S, urlLifetimeSeconds } from '../../../src/run/prefetch.js';

const s3 = { mode: 's3', bucket: 'b' } as const;

describe('urlLifetimeSeconds', () => {
  it.each<[string, HostingConfig, number, boolean]>([
    ['inline', { mode: 'inline' }, Infinity, true],
    ['s3, presigned, default TTL', s3, 3600, true],
    ['s3, presigned, 5 min', { ...s3, presign_ttl_seconds: 300 }, 300, false],
    ['s3, presigned, exactly 10 min', { ...s3, presign_ttl_seconds: 600 }, 600, true],
    [
      's3, public_base_url (even with a short presign TTL)',
      { ...s3, public_base_url: 'https://cdn.example.com', presign_ttl_seconds: 60 },
      Infinity,
      true,
    ],
    ['command, default', { mode: 'command', command: 'up' }, 3600, true],
    ['command, url_ttl_seconds 0', { mode: 'command', command: 'up', url_ttl_seconds: 0 }, 0, false],
  ])('%s', (_what, config, seconds, ahead) => {
    expect(urlLifetimeSeconds(config)).toBe(seconds);
    expect(urlLifetimeSeconds(config) >= MIN_AHEAD_URL_LIFETIME_S).toBe(ahead);
  });
});
