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
