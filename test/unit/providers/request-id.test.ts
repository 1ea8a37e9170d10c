/** requestIdProblem: an id an API hands back goes into URLs, the journal and the lock, so it must read as it is. */
import { describe, expect, it } from 'vitest';
import { idProblem, requestIdProblem } from '../../../src/providers/request-id.js';

describe('requestIdProblem', () => {
  it.each([
    ['a UUID', '3f0c2a9e-7b1d-4c5e-9a8f-1e2d3c4b5a69', undefined],
    ['empty', ' ', 'it is empty'],
    ['a path segment', '..', 'it is a path segment'],
    ['an escape', 'r\u001b[2J', 'it contains control characters'],
    // The lock refuses these (store/schemas.ts): refused here, before the id is journaled or waited on.
    ['a bidi override', 'r\u202Eb', 'it contains a bidi control or an invisible character'],
    ['a zero-width space', 'r\u200Bb', 'it contains a bidi control or an invisible character'],
  ])('%s', (_what, id, problem) => {
    expect(requestIdProblem(id, { secrets: [] })).toBe(problem);
  });
});

describe('requestIdProblem with a larger cap (an id that is a URL)', () => {
  it('refuses 300 characters by default, takes them under a cap of 2,048', () => {
    expect(requestIdProblem('a'.repeat(300), { secrets: [] })).toBe('it is 300 characters long (at most 256)');
    expect(requestIdProblem('a'.repeat(300), { secrets: [], maxChars: 2048 })).toBeUndefined();
  });
});

describe('requestIdProblem: an id carrying the API key (it would reach the journal, the lock, the remote)', () => {
  const secrets = ['key-id:SECRET-part-77b1', 'SECRET-part-77b1'];
  it.each([
    ['as is', 'r1-SECRET-part-77b1', 'it carries the API key'],
    ['percent-encoded', 'https://api.x/get?k=key-id%3ASECRET-part-77b1', 'it carries the API key'],
    ['not at all', 'r1-3f0c2a9e', undefined],
  ])('%s', (_how, id, problem) => {
    expect(requestIdProblem(id, { secrets })).toBe(problem);
  });

  it('a secret shorter than 8 characters is not looked for (a placeholder would match by chance)', () => {
    expect(requestIdProblem('r1-token-abc', { secrets: ['token'] })).toBeUndefined();
  });
});

describe('idProblem (an id that is not a string)', () => {
  it.each([
    [undefined, 'it is missing'],
    [null, 'it is missing'],
    [['r1'], 'it is an array, not a string'],
    [{ id: 'r1' }, 'it is an object, not a string'],
    [42, 'it is a number, not a string'],
  ])('%j: %s', (id, problem) => {
    expect(idProblem(id)).toBe(problem);
  });
});
