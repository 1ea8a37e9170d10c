import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CACHE_KEY_VERSION, cacheKey, type CacheKeyParts } from '../../../src/store/cache-key.js';

const base: CacheKeyParts = {
  provider: 'runcomfy',
  model: 'blackforestlabs/flux-1-kontext/pro/edit',
  prompt: 'Change her jacket to a yellow raincoat.',
  input_sha256: 'a'.repeat(64),
  params: { aspect_ratio: '3:4' },
  seed: 42,
};

/** The exact bytes hashed for `base`; if this changes, every cache in the world is invalidated. */
const BASE_CANONICAL =
  '{"input_sha256":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",' +
  '"model":"blackforestlabs/flux-1-kontext/pro/edit","params":{"aspect_ratio":"3:4"},' +
  '"prompt":"Change her jacket to a yellow raincoat.","provider":"runcomfy","seed":42,"v":1}';

describe('cacheKey', () => {
  it('is pinned: version 1 of the derivation hashes exactly this canonical JSON', () => {
    expect(CACHE_KEY_VERSION).toBe(1);
    expect(cacheKey(base)).toBe(createHash('sha256').update(BASE_CANONICAL).digest('hex'));
    expect(cacheKey(base)).toBe('f02d2a14f9ed1ad81b40fcc78fbb3c1428f272fcafdd6eecaea7286d5e64ed0d');
  });

  it('ignores the key order of params', () => {
    const a = cacheKey({ ...base, params: { aspect_ratio: '3:4', extra: { b: 1, a: 2 } } });
    const b = cacheKey({ ...base, params: { extra: { a: 2, b: 1 }, aspect_ratio: '3:4' } });
    expect(a).toBe(b);
  });

  it.each<[string, Partial<CacheKeyParts>]>([
    ['provider', { provider: 'emulator' }],
    ['model', { model: 'other/model' }],
    ['prompt', { prompt: 'Change her jacket to a red raincoat.' }],
    ['prompt case', { prompt: 'change her jacket to a yellow raincoat.' }],
    ['input', { input_sha256: 'b'.repeat(64) }],
    ['params', { params: { aspect_ratio: '1:1' } }],
    ['set of params (one added)', { params: { aspect_ratio: '3:4', guidance: 3 } }],
    ['seed', { seed: 43 }],
  ])('a different %s gives a different key', (_name, change) => {
    expect(cacheKey({ ...base, ...change })).not.toBe(cacheKey(base));
  });

  it('rejects params that have no canonical JSON form', () => {
    expect(() => cacheKey({ ...base, params: { guidance: Number.NaN } })).toThrow(/params\.guidance/);
  });
});
