import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { isNotSentCode, networkCodeOf } from '../../../src/providers/runcomfy/net-errors.js';
import {
  bypassesProxy,
  proxyFor,
  proxyLabel,
  proxySecretsIn,
  proxySettingsOf,
  TunnelRefusedError,
  tunnelRefusalOf,
} from '../../../src/util/proxy.js';
import { openBucket } from '../../../src/remote/bucket.js';

describe('proxy settings from the environment', () => {
  it('none when no proxy variable is set (NO_PROXY alone asks for nothing)', () => {
    expect(proxySettingsOf({})).toBeNull();
    expect(proxySettingsOf({ NO_PROXY: 'example.com', HTTPS_PROXY: '  ' })).toBeNull();
  });

  it('reads the lower-case names first, and HTTP_PROXY serves https:// URLs when HTTPS_PROXY is unset', () => {
    const s = proxySettingsOf({ HTTP_PROXY: 'http://upper:1', http_proxy: 'http://lower:2', NO_PROXY: 'a.test' });
    expect(s).toMatchObject({ http: 'http://lower:2', https: 'http://lower:2', noProxy: 'a.test' });
    expect(proxyFor('https://api.runcomfy.net/v1', s)).toBe('http://lower:2');
    const both = proxySettingsOf({ HTTPS_PROXY: 'http://tls:3', HTTP_PROXY: 'http://plain:4' });
    expect(proxyFor('https://api.runcomfy.net/v1', both)).toBe('http://tls:3');
    expect(proxyFor('http://127.0.0.1:9000/b', both)).toBe('http://plain:4');
    const httpsOnly = proxySettingsOf({ HTTPS_PROXY: 'http://tls:3' });
    expect(proxyFor('http://127.0.0.1:9000/b', httpsOnly)).toBeNull();
  });

  it('refuses a value that is not an http(s) URL, naming the variable and never the password', () => {
    const bad = (env: Record<string, string>): UsageError => {
      try {
        proxySettingsOf(env);
      } catch (e) {
        return e as UsageError;
      }
      throw new Error('expected a UsageError');
    };
    const socks = bad({ HTTPS_PROXY: 'socks5://bob:pa55word-xyz@proxy:1080' });
    expect(socks).toBeInstanceOf(UsageError);
    expect(socks.exitCode).toBe(64);
    expect(socks.message).toContain('HTTPS_PROXY is a socks5 proxy');
    expect(socks.message).not.toContain('pa55word-xyz');
    const junk = bad({ http_proxy: 'proxy.corp:3128 and more' });
    expect(junk.message).toMatch(/^http_proxy is not a URL/);
  });

  it('refuses, never showing it, a value whose password holds a / or a % that does not decode (review-af)', () => {
    for (const value of ['http://alice:/Sup3rSecret@proxy.corp:3128', 'http://alice:2024/Sup3rSecret@proxy:3128']) {
      expect(() => proxySettingsOf({ http_proxy: value })).toThrow(/^http_proxy is not a URL \(its value is not shown/);
      expect(() => proxySettingsOf({ http_proxy: value })).not.toThrow(/Sup3rSecret/);
    }
    for (const value of ['http://alice:50%off-S3cret@127.0.0.1:3128', 'http://al%ice:s3cretpass@127.0.0.1:3128'])
      expect(() => proxySettingsOf({ HTTPS_PROXY: value })).toThrow(UsageError);
  });

  it('takes a proxy named without a scheme as an http:// one, as curl does', () => {
    expect(proxySettingsOf({ HTTPS_PROXY: 'proxy.corp:3128' })?.https).toBe('http://proxy.corp:3128');
  });

  it('keeps the password of a proxy URL as a secret to scrub, decoded too; a label never shows it', () => {
    const env = { HTTPS_PROXY: 'http://al%40ice:p%3Ass-word-1@proxy.corp:3128' };
    expect(proxySecretsIn(env)).toEqual(['p%3Ass-word-1', 'p:ss-word-1']);
    expect(proxySecretsIn({ HTTPS_PROXY: 'not a url' })).toEqual([]);
    expect(proxyLabel('http://alice:secret@proxy.corp:3128/')).toBe('http://proxy.corp:3128');
  });
});

describe('NO_PROXY', () => {
  const url = (u: string): URL => new URL(u);
  it('matches a name, its subdomains, a leading dot or *., a port, and * for all', () => {
    expect(bypassesProxy(url('https://api.example.com/x'), 'example.com')).toBe(true);
    expect(bypassesProxy(url('https://api.example.com/x'), '.example.com')).toBe(true);
    expect(bypassesProxy(url('https://api.example.com/x'), '*.example.com')).toBe(true);
    expect(bypassesProxy(url('https://badexample.com/x'), 'example.com')).toBe(false);
    expect(bypassesProxy(url('http://127.0.0.1:9000/b'), 'localhost, 127.0.0.1')).toBe(true);
    expect(bypassesProxy(url('http://127.0.0.1:9000/b'), '127.0.0.1:9001')).toBe(false);
    expect(bypassesProxy(url('https://api.example.com/x'), 'api.example.com:443')).toBe(true);
    expect(bypassesProxy(url('https://anything.test/x'), '*')).toBe(true);
    expect(bypassesProxy(url('https://anything.test/x'), 'localhost, *')).toBe(true);
    expect(bypassesProxy(url('https://anything.test/x'), '')).toBe(false);
  });

  it('sends a bypassed URL directly', () => {
    const s = proxySettingsOf({ HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'internal.test' });
    expect(proxyFor('https://s3.internal.test/bucket', s)).toBeNull();
    expect(proxyFor('https://api.runcomfy.net/v1', s)).toBe('http://proxy:3128');
  });
});

describe("a proxy's refusal of the tunnel", () => {
  const refusal = (status: number): Error => new TunnelRefusedError(status, 'http://proxy:3128', 'api.test:443');

  it('is read along the cause chain', () => {
    expect(tunnelRefusalOf(refusal(407))).toBe(407);
    expect(tunnelRefusalOf(new Error('Proxy response (407) !== 200 when HTTP Tunneling'))).toBeNull();
    expect(networkCodeOf(new Error('fetch failed', { cause: refusal(502) }))).toBe(
      'proxy refused the tunnel (HTTP 502)',
    );
  });

  it('proves a submit never reached the API (not maybe paid), like a refused connection', () => {
    expect(isNotSentCode(networkCodeOf(refusal(407)) ?? '')).toBe(true);
    expect(isNotSentCode(networkCodeOf(Object.assign(new Error('tls'), { code: 'UND_ERR_PRX_TLS' })) ?? '')).toBe(true);
    const tlsCheck = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(isNotSentCode(networkCodeOf(tlsCheck) ?? '')).toBe(true);
  });
});

describe('NO_PROXY and IPv6', () => {
  it('matches a bare or bracketed IPv6 address, with its port when given', () => {
    const url = new URL('http://[::1]:8080/x');
    expect(bypassesProxy(url, '::1')).toBe(true);
    expect(bypassesProxy(url, '[::1]')).toBe(true);
    expect(bypassesProxy(url, '[::1]:8080')).toBe(true);
    expect(bypassesProxy(url, '[::1]:9090')).toBe(false);
    expect(bypassesProxy(url, '::2')).toBe(false);
  });
});

describe('the remote cache and a proxy variable that is not a URL', () => {
  it('opening the bucket is the usage error (exit 64), not a failed read later', () => {
    const location = { bucket: 'b', prefix: 'p', url: 's3://b/p' };
    expect(() => openBucket(location, { HTTP_PROXY: 'socks5://127.0.0.1:1080' })).toThrow(UsageError);
  });
});
