import { describe, expect, it } from 'vitest';
import { extForMediaType } from '../../../src/hosting/media-type.js';
import { formatBytes, formatDuration } from '../../../src/hosting/preview.js';
import { normalizePrefix, objectKey, publicUrlFor, s3Settings } from '../../../src/hosting/s3-settings.js';
import { fingerprint } from '../../../src/hosting/url-cache.js';

const SHA = 'ab'.repeat(32);

describe('media types', () => {
  it.each([
    ['image/jpeg', 'jpg'],
    ['IMAGE/PNG; charset=binary', 'png'],
    ['application/octet-stream', 'bin'],
  ])('%s -> .%s', (type, ext) => expect(extForMediaType(type)).toBe(ext));
});

describe('object keys and URLs', () => {
  it.each([
    [undefined, ''],
    ['', ''],
    ['/', ''],
    ['kontext', 'kontext'],
    ['/kontext//inputs/', 'kontext/inputs'],
  ])('prefix %j normalises to %j', (prefix, clean) => expect(normalizePrefix(prefix)).toBe(clean));

  it('refuses dot segments', () => {
    expect(() => normalizePrefix('a/./b')).toThrow(/prefix/);
  });

  it('builds <prefix>/<sha256>.<ext> without double slashes', () => {
    expect(objectKey('', SHA, 'image/png')).toBe(`${SHA}.png`);
    expect(objectKey('k/in', SHA.toUpperCase(), 'image/jpeg')).toBe(`k/in/${SHA}.jpg`);
  });

  it('joins public_base_url and key with exactly one slash, encoding segments', () => {
    expect(publicUrlFor('https://cdn.example.com/', `p/${SHA}.png`)).toBe(`https://cdn.example.com/p/${SHA}.png`);
    expect(publicUrlFor('https://cdn.example.com/img//', 'my dir/x.png')).toBe(
      'https://cdn.example.com/img/my%20dir/x.png',
    );
  });

  it('defaults presigned URLs to one hour and rejects credentials in URLs', () => {
    expect(s3Settings({ mode: 's3', bucket: 'b' }).presignTtlSeconds).toBe(3600);
    expect(() => s3Settings({ mode: 's3', bucket: 'b', endpoint: 'https://key:secret@s3.example.com' })).toThrow(
      /credentials/,
    );
    expect(() => s3Settings({ mode: 's3', bucket: 'b/c' })).toThrow(/bucket/);
    expect(() => s3Settings({ mode: 's3', bucket: 'b', presign_ttl_seconds: 0 })).toThrow(/presign_ttl_seconds/);
  });
});

describe('config fingerprints', () => {
  it('ignore key order and change with any identity field', () => {
    const a = fingerprint({ bucket: 'b', endpoint: 'e', prefix: '' });
    expect(fingerprint({ prefix: '', endpoint: 'e', bucket: 'b' })).toBe(a);
    expect(fingerprint({ bucket: 'b2', endpoint: 'e', prefix: '' })).not.toBe(a);
    expect(fingerprint({ bucket: 'b', endpoint: 'e', prefix: 'p' })).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('preview formatting', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1_234_567, '1.2 MB'],
    [250_000_000, '250 MB'],
  ])('%d bytes -> %s', (n, text) => expect(formatBytes(n)).toBe(text));

  it.each([
    [-5, '0 s'],
    [59_999, '59 s'],
    [41 * 60_000 + 59_000, '41 min'],
    [5 * 3_600_000, '5 h'],
    [6 * 86_400_000, '6 d'],
  ])('%d ms -> %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});
