import { describe, expect, it } from 'vitest';
import { redactSecrets, redactUrl, redactUrlsIn } from '../../../src/util/redact.js';

describe('redactUrlsIn', () => {
  it('drops query strings and userinfo of URLs in text', () => {
    const text = 'failed: https://user:pw@b.s3.example.com/k.png?X-Amz-Signature=abc&X-Amz-Credential=x then';
    expect(redactUrlsIn(text)).toBe('failed: https://b.s3.example.com/k.png?… then');
  });

  it('drops a SigV4 signature echoed outside a URL (an Authorization header in an error)', () => {
    const sig = 'a1'.repeat(32);
    const text =
      'auth AWS4-HMAC-SHA256 Credential=***/20261203/us-east-1/s3/aws4_request, ' +
      `SignedHeaders=host, Signature=${sig}`;
    const out = redactUrlsIn(text);
    expect(out).not.toContain(sig);
    expect(out).toContain('Signature=***');
    expect(out).toContain('SignedHeaders=host');
  });

  it('leaves other text alone', () => {
    expect(redactUrlsIn('Signature=short is not one')).toBe('Signature=short is not one');
  });
});

describe('redactSecrets', () => {
  it('replaces every secret, longest first, and ignores values too short to be one', () => {
    expect(redactSecrets('token abcdef and abcdefgh, id ab', ['abcdef', 'abcdefgh', 'ab'])).toBe(
      'token *** and ***, id ab',
    );
  });
});

describe('redactSecrets: a key a server echoes encoded or cut (walk-o 5)', () => {
  const key = 'rc-live-4f9a2b7c1d8e6f03a5b9';
  const b64 = (t: string, url = false): string => Buffer.from(t).toString(url ? 'base64url' : 'base64');

  it('finds it in base64 and base64url, at each byte alignment inside a longer encoded text', () => {
    for (const url of [false, true])
      for (const around of [key, `u:${key}`, `us:${key}!`, `user:${key}`, `${key}:tail`]) {
        const text = `bad credentials ${b64(around, url)} given`;
        const out = redactSecrets(text, [key]);
        expect({ around, url, out: out.includes('***') }).toEqual({ around, url, out: true });
        // What is left of the encoded text holds too little of the key to decode it back.
        expect(Buffer.from(out.split(' ')[2] ?? '', url ? 'base64url' : 'base64').toString('latin1')).not.toContain(
          key.slice(0, 8),
        );
      }
  });

  it('finds its first half or more cut short; a shorter head, and other text, stay', () => {
    expect(redactSecrets(`Invalid key ${key.slice(0, 14)}…`, [key])).toBe('Invalid key ***…');
    expect(redactSecrets(`key ${key.slice(0, 20)}… is revoked`, [key])).toBe('key ***… is revoked');
    expect(redactSecrets(`prefix ${key.slice(0, 13)}`, [key])).toBe(`prefix ${key.slice(0, 13)}`);
    expect(redactSecrets('an ordinary error message', [key])).toBe('an ordinary error message');
    // A path or URL named like a secret is scrubbed as it is only: its head is in many paths (review-w).
    const credentials = '/home/alice/work/keys/sa.json';
    expect(redactSecrets(`cannot read /home/alice/work/shoot/portrait.jpg (${credentials})`, [credentials])).toBe(
      'cannot read /home/alice/work/shoot/portrait.jpg (***)',
    );
    expect(redactSecrets('see ~/.aws/config', ['~/.aws/credentials'])).toBe('see ~/.aws/config');
    // An AWS secret, with its slashes, is a key: cut copies go, one starting with `/` too (review-x).
    for (const aws of ['wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '/JalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY']) {
      const said = `SignatureDoesNotMatch for ${aws.slice(0, 24)}…`;
      expect(redactSecrets(said, [aws])).toBe('SignatureDoesNotMatch for ***…');
      const basic = redactSecrets(`Basic ${b64(`AKIA:${aws}`)}`, [aws]).slice('Basic '.length);
      expect(Buffer.from(basic, 'base64').toString('latin1')).not.toContain(aws.slice(1, 9));
    }
    // Short secrets are only looked for as they are (their encodings would match by chance).
    expect(redactSecrets(`${b64('abcdefgh')} abcdefgh`, ['abcdefgh'])).toBe(`${b64('abcdefgh')} ***`);
  });

  it('finds it upper-cased, in hex, and its last half or more (walk-s 6); short secrets keep their case', () => {
    expect(redactSecrets(`token ${key.toUpperCase()} refused`, [key])).toBe('token *** refused');
    expect(redactSecrets(`hex ${Buffer.from(key).toString('hex')}`, [key])).toBe('hex ***');
    expect(redactSecrets(`HEX ${Buffer.from(key).toString('hex').toUpperCase()}`, [key])).toBe('HEX ***');
    expect(redactSecrets(`…${key.slice(-15)} is revoked`, [key])).toBe('…*** is revoked');
    expect(redactSecrets(`…${key.slice(-15).toUpperCase()}`, [key])).toBe('…***');
    expect(redactSecrets(`tail ${key.slice(-13)}`, [key])).toBe(`tail ${key.slice(-13)}`);
    expect(redactSecrets('an Abcdefgh and abcdefgh', ['abcdefgh'])).toBe('an Abcdefgh and ***');
  });

  it('scrubs every copy in one text, overlapping ones as one, and leaves what is between them (review-y 7)', () => {
    const head = key.slice(0, 16);
    const tail = key.slice(-16);
    const text = `[${key}] [${head.toUpperCase()}] ok [${tail}] ${key}${key} end ${Buffer.from(key).toString('hex')}`;
    expect(redactSecrets(text, [key])).toBe('[***] [***] ok [***] ****** end ***');
    const two = 'AKIAIOSFODNN7EXAMPLE';
    expect(redactSecrets(`${key.toUpperCase()} and ${two.toLowerCase()}.`, [key, two])).toBe('*** and ***.');
    // Non-ASCII text around a copy keeps its place (case folding that changes a length is not used).
    expect(redactSecrets(`İstanbul ${key} ß`, [key])).toBe('İstanbul *** ß');
  });

  it('folds a text and a non-ASCII key alike; a key repeating itself is scrubbed whole (review-z 3, 4)', () => {
    const accented = 'sk-ÉtoileXYZ0123456789';
    expect(redactSecrets('İ bad key sk-ÉtoileXYZ01…', [accented])).toBe('İ bad key ***…');
    expect(redactSecrets('İ SK-ÉTOILEXYZ0123456789', [accented])).toBe('İ ***');
    expect(redactSecrets('A'.repeat(1000), ['a'.repeat(24)])).toBe('***');
    expect(redactSecrets(`x ${'AB'.repeat(500)} y`, ['ab'.repeat(20)])).toBe('x *** y');
  });
});

describe('redactUrl', () => {
  it('drops userinfo and the query of a URL the WHATWG parser refuses, too', () => {
    // A space in the host, a port out of range, a password holding a slash: each throws in `new URL`.
    expect(redactUrl('https://user:s3cret@exa mple.com/x.png')).toBe('https://exa mple.com/x.png');
    expect(redactUrl('https://h:99999/x.png?X-Amz-Signature=abc123')).toBe('https://h:99999/x.png?…');
    expect(redactUrl('https://u:pa/ss@host:99999/x')).toBe('https://host:99999/x');
    expect(redactUrl('https://h:99999/x#token=abc')).toBe('https://h:99999/x');
    expect(redactUrl('https://u:p@h/x?sig=1')).toBe('https://h/x?…');
  });
});
