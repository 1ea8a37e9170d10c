import { describe, expect, it } from 'vitest';
import { ExitCode, KontextError } from '../../../src/errors.js';
import {
  AuthError,
  DeadlineExceededError,
  DownloadHostRefusedError,
  NetworkError,
  type ProviderError,
  RemoteFailedError,
  SubmitUncertainError,
  scrubCause,
} from '../../../src/providers/runcomfy/errors.js';
import { isNotSentCode, isTimeoutCode, networkCodeOf } from '../../../src/providers/runcomfy/net-errors.js';

const token = 'tok_abcdef_987654';

describe('provider errors', () => {
  it('are KontextErrors with stable codes, exit codes and hints', () => {
    const cases: [ProviderError, string, number][] = [
      [new AuthError('x'), 'E_AUTH', ExitCode.NO_PERM],
      [new NetworkError('x', { netCode: 'ECONNRESET' }), 'E_NETWORK', ExitCode.UNAVAILABLE],
      [new NetworkError('x', { netCode: 'UND_ERR_HEADERS_TIMEOUT', timeout: true }), 'E_NETWORK', ExitCode.TEMP_FAIL],
      // No descriptor for the socket: this machine's limit (exit 75, the ulimit hint), not the network's 69.
      [new NetworkError('x', { netCode: 'EMFILE' }), 'E_FD_LIMIT', ExitCode.TEMP_FAIL],
      [new NetworkError('x', { netCode: 'ENFILE' }), 'E_FD_LIMIT', ExitCode.TEMP_FAIL],
      [new SubmitUncertainError('x'), 'E_SUBMIT_UNCERTAIN', ExitCode.UNAVAILABLE],
      [new RemoteFailedError('x'), 'E_REMOTE_FAILED', ExitCode.REMOTE_FAILED],
      [new DeadlineExceededError('x', { cancelOutcome: 'cancelled' }), 'E_TIMEOUT', ExitCode.TEMP_FAIL],
      [new DownloadHostRefusedError('evil.com', 'x'), 'E_DOWNLOAD_HOST_REFUSED', ExitCode.DATA_ERR],
    ];
    for (const [err, code, exit] of cases) {
      expect(err).toBeInstanceOf(KontextError);
      expect(err.code).toBe(code);
      expect(err.exitCode).toBe(exit);
      expect(err.hint).toBeTruthy();
    }
    expect(new AuthError('x').hint).toContain('RUNCOMFY_TOKEN');
    expect(new NetworkError('x', { netCode: 'EMFILE' }).hint).toContain('ulimit -n');
    expect(new DownloadHostRefusedError('evil.com', 'x').hint).toContain('evil.com');
  });

  it('scrub the token from message, hint and cause chain', () => {
    const inner = new Error(`inner ${token}`);
    const outer = new Error('outer', { cause: inner });
    const err = new AuthError(`bad ${token}`, { hint: `try ${token}`, cause: outer, secrets: [token] });
    const chain: string[] = [];
    for (let e: unknown = err; e instanceof Error; e = e.cause) chain.push(e.message, e.stack ?? '');
    chain.push(err.hint ?? '');
    expect(chain.join('\n')).not.toContain(token);
  });

  it('keep a clean cause untouched', () => {
    const clean = new Error('connect ECONNREFUSED');
    expect(scrubCause(clean, [token])).toBe(clean);
  });
});

describe('network error codes', () => {
  const withCode = (code: string): Error => Object.assign(new Error(code), { code });
  const sysOf = (code: string, syscall: string): Error =>
    new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code, syscall }) });
  it('finds the code along the cause chain', () => {
    expect(networkCodeOf(new Error('fetch failed', { cause: withCode('ECONNRESET') }))).toBe('ECONNRESET');
    expect(networkCodeOf(withCode('UND_ERR_SOCKET'))).toBe('UND_ERR_SOCKET');
    expect(networkCodeOf(withCode('UND_ERR_INVALID_ARG'))).toBeUndefined();
    expect(networkCodeOf('ECONNRESET')).toBeUndefined();
  });

  it('an unreachable host proves a request unsent only when the connect failed', () => {
    const sys = (code: string, syscall?: string): Error =>
      new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code, syscall }) });
    expect(networkCodeOf(sys('EHOSTUNREACH', 'connect'))).toBe('EHOSTUNREACH');
    expect(networkCodeOf(sys('ENETUNREACH', 'connect'))).toBe('ENETUNREACH');
    // A pooled socket, connected, told by ICMP mid-request: the server may have the request.
    for (const [code, syscall] of [
      ['EHOSTUNREACH', 'read'],
      ['ENETUNREACH', 'write'],
      ['EHOSTUNREACH', undefined],
    ] as const) {
      const found = networkCodeOf(sys(code, syscall));
      expect(found).toBe(`${code} (${syscall ?? 'not while connecting'})`);
      expect(isNotSentCode(found ?? '')).toBe(false);
    }
    // Those that only a connect (or a name look-up) can fail with keep their code whatever the call.
    expect(networkCodeOf(sys('ECONNREFUSED'))).toBe('ECONNREFUSED');
    expect(networkCodeOf(sys('EMFILE', 'connect'))).toBe('EMFILE');
  });

  it('every address of a host tried, none connected (an AggregateError of connects): nothing sent', () => {
    const attempt = (code: string, syscall = 'connect'): Error => Object.assign(new Error(code), { code, syscall });
    // As Node's autoSelectFamily fails: the first attempt's code, no call of its own.
    const all = (code: string, syscall?: string): Error =>
      new TypeError('fetch failed', {
        cause: Object.assign(new AggregateError([attempt(code, syscall), attempt(code, syscall)], ''), { code }),
      });
    expect(networkCodeOf(all('EHOSTUNREACH'))).toBe('EHOSTUNREACH');
    expect(isNotSentCode(networkCodeOf(all('EHOSTUNREACH')) ?? '')).toBe(true);
    // A connect that timed out sent nothing either, and is a timeout (exit 75 once retries run out).
    const timedOuts = [all('ETIMEDOUT'), sysOf('ETIMEDOUT', 'connect')];
    for (const timedOut of timedOuts) {
      const code = networkCodeOf(timedOut) ?? '';
      expect(code).toBe('ETIMEDOUT (connect)');
      expect([isNotSentCode(code), isTimeoutCode(code)]).toEqual([true, true]);
    }
    // On a connected socket it may have been sent, as before.
    expect(isNotSentCode(networkCodeOf(sysOf('ETIMEDOUT', 'read')) ?? '')).toBe(false);
    expect(isNotSentCode(networkCodeOf(all('EHOSTUNREACH', 'write')) ?? '')).toBe(false);
  });

  it.each([
    ['ECONNREFUSED', true, false],
    ['UND_ERR_CONNECT_TIMEOUT', true, true],
    ['ENOTFOUND', true, false],
    ['ECONNRESET', false, false],
    ['UND_ERR_SOCKET', false, false],
    ['UND_ERR_HEADERS_TIMEOUT', false, true],
    ['UND_ERR_BODY_TIMEOUT', false, true],
  ])('%s: not sent %s, timeout %s', (code, notSent, timeout) => {
    expect(isNotSentCode(code)).toBe(notSent);
    expect(isTimeoutCode(code)).toBe(timeout);
  });
});
