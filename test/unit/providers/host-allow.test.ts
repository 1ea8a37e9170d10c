import { describe, expect, it } from 'vitest';
import { checkHost, parseAllowHosts } from '../../../src/providers/runcomfy/host-allow.js';

describe('checkHost — default allow-list', () => {
  it.each([
    'https://cdn.runcomfy.net/out/1.png',
    'https://a.b.runcomfy.com/x.webp?sig=1',
    'https://CDN.RunComfy.NET/x.png',
    'https://cdn.runcomfy.net./x.png',
    'https://cdn.runcomfy.net:8443/x.png',
  ])('allows %s', (url) => {
    expect(checkHost(url).ok).toBe(true);
  });

  it.each([
    ['https://evil.runcomfy.net.example.com/x.png', 'evil.runcomfy.net.example.com'],
    ['https://runcomfy.net.evil.com/x.png', 'runcomfy.net.evil.com'],
    ['https://evilruncomfy.net/x.png', 'evilruncomfy.net'],
    ['https://runcomfy.net/x.png', 'runcomfy.net'],
    ['https://cdn.runcomfy.net@evil.com/x.png', 'evil.com'],
    ['https://user:pw@cdn.runcomfy.net/x.png', 'cdn.runcomfy.net'],
    ['https://evil.com/cdn.runcomfy.net/x.png', 'evil.com'],
    ['https://evil.com?u=https://cdn.runcomfy.net', 'evil.com'],
    ['https://evil.com#.runcomfy.net', 'evil.com'],
    ['http://cdn.runcomfy.net/x.png', 'cdn.runcomfy.net'], // plain http is not trusted by suffix
    ['https://127.0.0.1/x.png', '127.0.0.1'],
    ['https://2130706433/x.png', '127.0.0.1'], // decimal IPv4 is parsed, then refused
    ['https://[::1]/x.png', '::1'],
    ['ftp://cdn.runcomfy.net/x.png', 'cdn.runcomfy.net'],
    ['file:///etc/passwd', ''],
    ['not a url', '(unparsable URL)'],
  ])('refuses %s (host %s)', (url, host) => {
    const v = checkHost(url);
    expect(v.ok).toBe(false);
    expect(v.host).toBe(host);
  });
});

describe('checkHost — extra hosts', () => {
  it('allows exact extra hosts, over http too', () => {
    expect(checkHost('http://127.0.0.1:41234/files/x.png', ['127.0.0.1']).ok).toBe(true);
    expect(checkHost('http://[::1]:8080/x', ['[::1]']).ok).toBe(true);
    expect(checkHost('http://files.test/x', ['FILES.TEST.']).ok).toBe(true);
  });

  it('matches host:port entries exactly', () => {
    expect(checkHost('http://127.0.0.1:8080/x', ['127.0.0.1:8080']).ok).toBe(true);
    expect(checkHost('http://127.0.0.1:8081/x', ['127.0.0.1:8080']).ok).toBe(false);
  });

  it('never turns an extra host into a suffix rule', () => {
    expect(checkHost('http://a.files.test/x', ['files.test']).ok).toBe(false);
    expect(checkHost('http://127.0.0.10/x', ['127.0.0.1']).ok).toBe(false);
    expect(checkHost('http://127.0.0.1@evil.com/x', ['127.0.0.1']).ok).toBe(false);
  });
});

describe('parseAllowHosts', () => {
  it('splits on commas and whitespace, dropping blanks', () => {
    expect(parseAllowHosts(' 127.0.0.1, localhost ,,files.test ')).toEqual(['127.0.0.1', 'localhost', 'files.test']);
    expect(parseAllowHosts(undefined)).toEqual([]);
    expect(parseAllowHosts('')).toEqual([]);
  });
});
