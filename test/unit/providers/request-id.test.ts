/** requestIdProblem: an id an API hands back goes into URLs, the journal and the lock, so it must read as it is. */
import { describe, expect, it } from 'vitest';
import { taskIdOf } from '../../../src/providers/bfl/endpoints.js';
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

describe("taskIdOf: BFL's task id, how messages name a request whose id is its polling URL", () => {
  const KEY = 'bfl-key-SECRET-1f2e3d4c';
  const url = (id: string): string => `https://api.us1.bfl.ai/v1/get_result?id=${id}&sig=abc`;
  it('the `id` of the query alone (messages drop the query, the task id with it)', () => {
    expect(taskIdOf(url('b9b172a8-e39c-47b2-8f1a-cb8925f3532e'), [KEY])).toBe('b9b172a8-e39c-47b2-8f1a-cb8925f3532e');
  });
  it('never the key, nor a control character, even percent-encoded: the URL then (its query dropped)', () => {
    const encoded = [...KEY].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('');
    expect(taskIdOf(url(encoded), [KEY])).toBe(url(encoded));
    expect(taskIdOf(url('%1b%5b31m'), [KEY])).toBe(url('%1b%5b31m'));
    expect(taskIdOf('https://api.bfl.ai/v1/get_result', [KEY])).toBe('https://api.bfl.ai/v1/get_result');
    expect(taskIdOf('not a url', [KEY])).toBe('not a url');
  });
});
