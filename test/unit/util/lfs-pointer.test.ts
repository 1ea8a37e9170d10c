import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lfsPointerAt, parseLfsPointer } from '../../../src/util/lfs-pointer.js';

const OID = 'a'.repeat(64);
const V1 = 'version https://git-lfs.github.com/spec/v1';
const parse = (text: string) => parseLfsPointer(Buffer.from(text, 'latin1'));

describe('parseLfsPointer', () => {
  it.each([
    ['the spec form', `${V1}\noid sha256:${OID}\nsize 12345\n`],
    ['a CRLF checkout of one', `${V1}\r\noid sha256:${OID}\r\nsize 12345\r\n`],
    ['without the last newline', `${V1}\noid sha256:${OID}\nsize 12345`],
    ['with an extension key', `${V1}\next-0-foo sha256:${'b'.repeat(64)}\noid sha256:${OID}\nsize 12345\n`],
    ['the pre-release version url', `version https://hawser.github.com/spec/v1\noid sha256:${OID}\nsize 12345\n`],
  ])('reads %s', (_, text) => {
    expect(parse(text)).toEqual({ oid: OID, size: 12345 });
  });

  it.each([
    ['another version', `version https://example.com/spec/v1\noid sha256:${OID}\nsize 1\n`],
    ['no oid', `${V1}\nsize 1\n`],
    ['another hash', `${V1}\noid sha1:${'a'.repeat(40)}\nsize 1\n`],
    ['a short oid', `${V1}\noid sha256:${'a'.repeat(63)}\nsize 1\n`],
    ['an upper-case oid', `${V1}\noid sha256:${'A'.repeat(64)}\nsize 1\n`],
    ['no size', `${V1}\noid sha256:${OID}\n`],
    ['a negative size', `${V1}\noid sha256:${OID}\nsize -1\n`],
    ['a key twice', `${V1}\noid sha256:${OID}\noid sha256:${OID}\nsize 1\n`],
    ['a line that is no key', `${V1}\noid sha256:${OID}\nsize 1\nhello\n`],
    ['more than 1024 bytes', `${V1}\noid sha256:${OID}\nsize 1\nx-pad ${'p'.repeat(1024)}\n`],
    ['an image', '\x89PNG\r\n\x1a\n'],
  ])('refuses %s', (_, text) => {
    expect(parse(text)).toBeNull();
  });
});

describe('lfsPointerAt', () => {
  it('reads a pointer file, and null for anything else or nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kontext-lfs-'));
    try {
      await writeFile(join(dir, 'p.png'), `${V1}\noid sha256:${OID}\nsize 7\n`);
      await writeFile(join(dir, 'big.png'), Buffer.alloc(5000, 'v'));
      expect(lfsPointerAt(join(dir, 'p.png'))).toEqual({ oid: OID, size: 7 });
      expect(lfsPointerAt(join(dir, 'big.png'))).toBeNull();
      expect(lfsPointerAt(join(dir, 'none.png'))).toBeNull();
      expect(lfsPointerAt(dir)).toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
