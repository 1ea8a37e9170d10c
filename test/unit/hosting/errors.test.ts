import { describe, expect, it } from 'vitest';
import { urlFromOutcome, envSecrets } from '../../../src/hosting/command.js';
import type { CommandOutcome } from '../../../src/hosting/command-exec.js';
import { HostingError } from '../../../src/hosting/errors.js';
import { classifyS3Error, s3Error } from '../../../src/hosting/s3-errors.js';

describe('classifyS3Error', () => {
  it.each([
    ['CredentialsProviderError', undefined, 'Could not load credentials from any providers', 'E_HOSTING_CREDENTIALS'],
    ['Error', undefined, 'Region is missing', 'E_HOSTING_CONFIG'],
    ['AccessDenied', 403, 'Access Denied', 'E_HOSTING_DENIED'],
    ['SignatureDoesNotMatch', 403, 'sig', 'E_HOSTING_DENIED'],
    ['NoSuchBucket', 404, 'The specified bucket does not exist', 'E_HOSTING_BUCKET'],
    ['PermanentRedirect', 301, 'wrong region', 'E_HOSTING_BUCKET'],
    ['SlowDown', 503, 'reduce your request rate', 'E_HOSTING_TIMEOUT'],
    ['TimeoutError', undefined, 'socket timed out', 'E_HOSTING_TIMEOUT'],
    ['InternalError', 500, 'oops', 'E_HOSTING_UNAVAILABLE'],
    ['ECONNREFUSED', undefined, 'connect ECONNREFUSED', 'E_HOSTING_UNAVAILABLE'],
    ['InvalidArgument', 400, 'bad', 'E_HOSTING_CONFIG'],
  ] as const)('%s (%s) -> %s', (name, status, message, code) => {
    expect(classifyS3Error(name, status, message)).toBe(code);
  });

  it('scrubs credentials and presigned query strings from the message and the cause', () => {
    const sdk = Object.assign(
      new Error(
        'denied for AKIAEXAMPLEKEY1 at https://b.s3.amazonaws.com/k.png?X-Amz-Signature=abc123 using s3cr3t-value',
      ),
      {
        name: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
      },
    );
    const e = s3Error(sdk, 'upload to s3://b/k.png', ['s3cr3t-value', 'AKIAEXAMPLEKEY1']);
    expect(e).toBeInstanceOf(HostingError);
    expect(e.exitCode).toBe(77);
    const text = `${e.message} ${(e.cause as Error).message}`;
    expect(text).toContain('https://b.s3.amazonaws.com/k.png?…');
    expect(text).not.toMatch(/abc123|s3cr3t-value|AKIAEXAMPLEKEY1/);
    expect(e.cause).not.toBe(sdk);
  });

  it("a request refused as signed too far from the bucket's time names the clock, not a slow service", () => {
    const sdk = Object.assign(new Error('The difference between the request time and the server time is too large.'), {
      name: 'RequestTimeTooSkewed',
      $metadata: { httpStatusCode: 403 },
    });
    expect(s3Error(sdk, 'upload to s3://b/k.png', []).hint).toMatch(/clock is too far/);
  });
});

function outcome(over: Partial<CommandOutcome>): CommandOutcome {
  return { exitCode: 0, spawnError: null, timedOut: false, stdout: '', stderr: '', ...over };
}

describe('urlFromOutcome', () => {
  it('takes the last non-empty stdout line', () => {
    expect(urlFromOutcome(outcome({ stdout: 'uploading\nhttps://cdn.test/a.png  \n\n\n' }), 120, [])).toBe(
      'https://cdn.test/a.png',
    );
  });

  it.each([
    [{ timedOut: true, exitCode: null }, 'E_HOSTING_COMMAND_TIMEOUT', 75],
    [{ exitCode: 127, stderr: 'sh: 1: rclone: not found\n' }, 'E_HOSTING_COMMAND_NOT_FOUND', 65],
    [{ exitCode: 2, stderr: 'boom\n' }, 'E_HOSTING_COMMAND_FAILED', 69],
    [{ exitCode: null }, 'E_HOSTING_COMMAND_FAILED', 69],
    [{ stdout: 'done\n' }, 'E_HOSTING_COMMAND_OUTPUT', 65],
    [{ stdout: 'file:///tmp/x.png\n' }, 'E_HOSTING_COMMAND_OUTPUT', 65],
    [{ stdout: 'https://user:pass@cdn.example.test/x.png\n' }, 'E_HOSTING_COMMAND_OUTPUT', 65],
    [{ stdout: 'https://user@cdn.example.test/x.png\n' }, 'E_HOSTING_COMMAND_OUTPUT', 65],
  ] as const)('%j -> %s', (over, code, exit) => {
    let caught: unknown;
    try {
      urlFromOutcome(outcome(over), 120, []);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(HostingError);
    expect((caught as HostingError).code).toBe(code);
    expect((caught as HostingError).exitCode).toBe(exit);
  });

  it('a URL with a user name or password is refused without printing them (walk-o)', () => {
    const e = (() => {
      try {
        return urlFromOutcome(outcome({ stdout: 'https://bob:hunter2@cdn.example.test/x.png?sig=1\n' }), 120, []);
      } catch (x) {
        return x as HostingError;
      }
    })();
    expect(e).toBeInstanceOf(HostingError);
    expect((e as HostingError).message).toContain('https://cdn.example.test/x.png?…');
    expect((e as HostingError).message).not.toMatch(/bob|hunter2/);
  });

  it('a refused URL with a user name is shown without the secrets of the environment either', () => {
    let e: unknown;
    try {
      urlFromOutcome(outcome({ stdout: 'https://u:p@cdn.example.test/tok-123456/x.png\n' }), 120, ['tok-123456']);
    } catch (x) {
      e = x;
    }
    expect((e as HostingError).message).toContain('https://cdn.example.test/***/x.png');
    expect((e as HostingError).message).not.toContain('tok-123456');
  });

  it('scrubs secret env values from the echoed stderr line', () => {
    const secrets = envSecrets({
      RCLONE_TOKEN: 'tok-123456',
      HOME: '/home/me',
      AWS_SECRET_ACCESS_KEY: 'abcdefgh',
      AWS_ACCESS_KEY_ID: 'AKIAREPRO01',
      FAL_KEY_ID: 'fal-id-9',
    });
    expect(secrets.sort()).toEqual(['AKIAREPRO01', 'abcdefgh', 'fal-id-9', 'tok-123456']);
    expect(() => urlFromOutcome(outcome({ exitCode: 1, stderr: 'auth tok-123456 rejected' }), 120, secrets)).toThrow(
      'auth *** rejected',
    );
  });
});
