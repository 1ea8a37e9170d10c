/** Which URLs point at this machine or a private network (a public API cannot fetch them), and which APIs are local. */
import { describe, expect, it } from 'vitest';
import { apiIsLocal } from '../../../src/providers/api-base.js';
import { createRuntime } from '../../../src/runtime.js';
import { privateUrlKind } from '../../../src/util/private-host.js';

describe('privateUrlKind', () => {
  it.each([
    ['http://localhost:9000/a.png', 'loopback'],
    ['https://img.localhost./a.png', 'loopback'],
    ['http://127.0.0.1/a.png', 'loopback'],
    ['http://127.200.3.4/a.png', 'loopback'],
    ['http://[::1]:8080/a.png', 'loopback'],
    ['http://[::ffff:127.0.0.1]/a.png', 'loopback'],
    ['http://10.0.0.8/a.png', 'private-network'],
    ['http://172.16.0.1/a.png', 'private-network'],
    ['http://172.31.255.255/a.png', 'private-network'],
    ['http://192.168.1.20/a.png', 'private-network'],
    ['http://[fd12:3456::1]/a.png', 'private-network'],
    ['http://[fc00::1]/a.png', 'private-network'],
    ['http://169.254.169.254/latest', 'link-local'],
    ['http://[fe80::1]/a.png', 'link-local'],
    ['http://0.0.0.0/a.png', 'unspecified'],
    ['https://cdn.example.com/a.png', null],
    // walk-af 10: IPv4 inside IPv6, carrier-grade NAT (cloud metadata), 0/8.
    ['http://[::127.0.0.1]/a.png', 'loopback'],
    ['http://[::7f00:1]/a.png', 'loopback'],
    ['http://[::a00:5]/a.png', 'private-network'],
    ['http://[0:0:0:0:0:ffff:c0a8:101]/a.png', 'private-network'],
    ['http://[::ffff:169.254.169.254]/latest', 'link-local'],
    ['http://[::ffff:0:7f00:1]/a.png', 'loopback'],
    ['http://[64:ff9b::127.0.0.1]/a.png', 'loopback'],
    ['http://[64:ff9b::a9fe:a9fe]/latest', 'link-local'],
    ['http://[64:ff9b:1::a00:1]/a.png', 'private-network'],
    ['http://[2002:7f00:1::1]/a.png', 'loopback'],
    ['http://[2002:c0a8:101::]/a.png', 'private-network'],
    ['http://[fec0::1]/a.png', 'private-network'],
    ['http://100.100.100.200/latest', 'private-network'],
    ['http://100.64.0.1/a.png', 'private-network'],
    ['http://100.127.255.255/a.png', 'private-network'],
    ['http://0.1.2.3/a.png', 'unspecified'],
    ['http://[::]/a.png', 'unspecified'],
    ['https://100.63.255.255/a.png', null],
    ['https://100.128.0.1/a.png', null],
    ['https://[64:ff9b::808:808]/a.png', null],
    ['https://[2002:808:808::1]/a.png', null],
    ['https://[::ffff:8.8.8.8]/a.png', null],
    ['https://[fc::1]/a.png', null],
    ['https://[fe8::1]/a.png', null],
    ['https://172.32.0.1/a.png', null],
    ['https://8.8.8.8/a.png', null],
    ['https://[2001:db8::1]/a.png', null],
    ['https://fd.example.com/a.png', null],
    ['not a url', null],
  ])('%s -> %s', (url, kind) => expect(privateUrlKind(url)).toBe(kind));
});

describe('apiIsLocal', () => {
  const rt = (env: Record<string, string>) => createRuntime({ env });
  it('is true for the emulator and for an API base on loopback, false for the public defaults', () => {
    expect(apiIsLocal('emulator', rt({}))).toBe(true);
    expect(apiIsLocal('runcomfy', rt({ RUNCOMFY_MODEL_API_BASE: 'http://127.0.0.1:4123/v1' }))).toBe(true);
    expect(apiIsLocal('bfl', rt({ BFL_API_BASE: 'http://localhost:9/' }))).toBe(true);
    for (const name of ['runcomfy', 'bfl', 'fal', 'replicate'] as const) expect(apiIsLocal(name, rt({}))).toBe(false);
    expect(apiIsLocal('replicate', rt({ REPLICATE_API_BASE: 'https://api.replicate.com' }))).toBe(false);
  });

  it('is false for a base on a private network or link-local: a gateway to the public API (walk-af 9)', () => {
    for (const base of [
      'http://10.0.0.5/v1',
      'http://192.168.1.2:8080/v1',
      'http://[fd00::5]/v1',
      'http://169.254.1.1/',
    ])
      expect(apiIsLocal('runcomfy', rt({ RUNCOMFY_MODEL_API_BASE: base })), base).toBe(false);
  });
});
