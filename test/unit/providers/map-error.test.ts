import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../../src/errors.js';
import {
  classifyError,
  effectiveStatus,
  errorCodeOf,
  errorFromReply,
  errorTextOf,
  isErrorReply,
  isRetryableKind,
} from '../../../src/providers/runcomfy/map-error.js';
import { replicateErrorFrom } from '../../../src/providers/replicate/map-error.js';
import { errorTextOf as predictionErrorText } from '../../../src/providers/replicate/prediction.js';
import { httpError } from '../../../src/providers/wire/map-status.js';

describe('the error table of docs/architecture.md#the-runcomfy-api', () => {
  it.each([
    // status, error_code, kind, exit code, error code
    [401, undefined, 'auth', ExitCode.NO_PERM, 'E_AUTH'],
    [403, undefined, 'auth', ExitCode.NO_PERM, 'E_AUTH'],
    [400, 400004, 'auth', ExitCode.NO_PERM, 'E_AUTH'],
    [200, 400004, 'auth', ExitCode.NO_PERM, 'E_AUTH'],
    [404, 403001, 'auth', ExitCode.NO_PERM, 'E_AUTH'],
    [400, 400002, 'balance', ExitCode.DATA_ERR, 'E_BALANCE_EXHAUSTED'],
    [402, undefined, 'balance', ExitCode.DATA_ERR, 'E_BALANCE_EXHAUSTED'],
    [400, 400001, 'input', ExitCode.DATA_ERR, 'E_INPUT_REJECTED'],
    [404, 404001, 'input', ExitCode.DATA_ERR, 'E_INPUT_REJECTED'],
    [422, undefined, 'input', ExitCode.DATA_ERR, 'E_INPUT_REJECTED'],
    [409, undefined, 'input', ExitCode.DATA_ERR, 'E_INPUT_REJECTED'],
    [302, undefined, 'input', ExitCode.DATA_ERR, 'E_INPUT_REJECTED'],
    [200, 123, 'input', ExitCode.DATA_ERR, 'E_INPUT_REJECTED'],
    [408, undefined, 'rate', ExitCode.TEMP_FAIL, 'E_RATE_LIMITED'],
    [429, undefined, 'rate', ExitCode.TEMP_FAIL, 'E_RATE_LIMITED'],
    [200, 429001, 'rate', ExitCode.TEMP_FAIL, 'E_RATE_LIMITED'],
    [500, undefined, 'unavailable', ExitCode.UNAVAILABLE, 'E_UPSTREAM_UNAVAILABLE'],
    [502, undefined, 'unavailable', ExitCode.UNAVAILABLE, 'E_UPSTREAM_UNAVAILABLE'],
    [503, undefined, 'unavailable', ExitCode.UNAVAILABLE, 'E_UPSTREAM_UNAVAILABLE'],
    [200, 500123, 'unavailable', ExitCode.UNAVAILABLE, 'E_UPSTREAM_UNAVAILABLE'],
  ] as const)('HTTP %i error_code %s → %s (exit %i)', (status, code, kind, exit, errCode) => {
    expect(classifyError(status, code)).toBe(kind);
    const body = code === undefined ? { message: 'nope' } : { error_code: code, message: 'nope' };
    const err = errorFromReply(status, body, JSON.stringify(body), { call: 'submit', requestId: 'r1' });
    expect(err.exitCode).toBe(exit);
    expect(err.code).toBe(errCode);
    expect(err.status).toBe(status);
    expect(err.errorCode).toBe(code);
    expect(err.requestId).toBe('r1');
    expect(err.hint).toBeTruthy();
    expect(err.message).toContain(`HTTP ${status}`);
  });

  it('retries only rate limits and upstream failures', () => {
    expect(['auth', 'balance', 'input', 'rate', 'unavailable'].filter((k) => isRetryableKind(k as never))).toEqual([
      'rate',
      'unavailable',
    ]);
  });

  it('effectiveStatus borrows the error_code prefix only for non-error HTTP statuses', () => {
    expect(effectiveStatus(503, 429001)).toBe(503);
    expect(effectiveStatus(200, 429001)).toBe(429);
    expect(effectiveStatus(200, 7)).toBe(400);
    expect(effectiveStatus(200, 999999)).toBe(400);
  });
});

describe('isErrorReply / errorCodeOf', () => {
  it.each([
    [200, { request_id: 'x' }, false],
    [202, { outcome: 'cancelled' }, false],
    [200, { error_code: 400004 }, true],
    [200, { error_code: '400004' }, true],
    [200, { error_code: 0 }, false],
    [200, { error_code: null }, false],
    [200, [1, 2], false],
    [404, undefined, true],
    [302, undefined, true],
  ])('HTTP %i %j → %s', (status, body, expected) => {
    expect(isErrorReply(status, body)).toBe(expected);
  });

  it('reads numeric-string codes', () => {
    expect(errorCodeOf({ error_code: ' 400002 ' })).toBe(400002);
    expect(errorCodeOf({ error_code: 'E42' })).toBeUndefined();
  });
});

describe('errorTextOf', () => {
  it.each([
    [{ error_message: 'a', message: 'b', error: 'c', detail: 'd' }, 'a'],
    [{ message: 'b', error: 'c', detail: 'd' }, 'b'],
    [{ error: 'c', detail: 'd' }, 'c'],
    [{ detail: 'd' }, 'd'],
    [{ error_message: '', detail: 'd' }, 'd'],
    [{ error: { message: 'nested' } }, 'nested'],
    [{ error: { kind: 'moderation' } }, '{"kind":"moderation"}'],
    [
      { detail: [{ loc: ['body', 'prompt'], msg: 'field required' }] },
      '[{"loc":["body","prompt"],"msg":"field required"}]',
    ],
    [{ other: 1 }, undefined],
  ])('%j → %j', (body, text) => {
    expect(errorTextOf(body)).toBe(text);
  });

  it('falls back to the raw text (collapsed, clipped) when the body is not JSON', () => {
    expect(errorTextOf(undefined, '<html>\n  <b>Bad gateway</b>\n</html>')).toBe('<html> <b>Bad gateway</b> </html>');
    expect(errorTextOf(undefined, 'x'.repeat(1000))!.length).toBeLessThanOrEqual(300);
  });
});

describe('secrets in error replies', () => {
  it('never echo the token, nor presigned query strings', () => {
    const token = 'rc_secret_token_123456';
    const body = { message: `token ${token} expired; see https://cdn.runcomfy.net/x.png?X-Amz-Signature=abc` };
    const err = errorFromReply(401, body, JSON.stringify(body), { call: 'status', secrets: [token] });
    expect(err.message).not.toContain(token);
    expect(err.message).not.toContain('X-Amz-Signature');
    expect(err.message).toContain('***');
  });
});

describe('a server echoing the token where an error text is clipped', () => {
  const token = 'tok-ABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789';
  // The echo starts so that the 300-character clip cuts the token after its first 16 characters.
  const echo = `${'x'.repeat(299 - ' Bearer '.length - 16)} Bearer ${token} was refused`;
  const secrets = [token];
  const voice = { label: 'BFL', authHint: 'set BFL_API_KEY', balanceHint: 'top up' };
  it.each([
    ['RunComfy', () => errorFromReply(401, { error_message: echo }, '', { call: 'submit', secrets }).message],
    ['RunComfy raw text', () => errorFromReply(502, undefined, echo, { call: 'status', secrets }).message],
    ['BFL/fal', () => httpError(401, { detail: echo }, '', { call: 'submit', voice, secrets }).message],
    ['Replicate', () => replicateErrorFrom(401, { detail: echo }, '', { call: 'submit', secrets }).message],
    ['Replicate prediction', () => predictionErrorText({ error: echo }, secrets)],
  ])('%s: no part of the token survives the clip', (_name, text) => {
    const out = text();
    expect(out).not.toContain(token.slice(0, 8));
    expect(out).toContain('***');
  });
});
