/** Which remote a run uses, from what, and whether it may upload there; hostile `s3://` strings. */
import { describe, expect, it } from 'vitest';
import { chooseRemote } from '../../../src/remote/choose.js';
import { blobObject, parseRemoteUrl, recordObject } from '../../../src/remote/location.js';

const KEY = 'ab'.repeat(32);

describe('parseRemoteUrl', () => {
  it.each([
    ['s3://team-cache', 'team-cache', ''],
    ['s3://team-cache/', 'team-cache', ''],
    ['s3://team.cache/kontext//ci/', 'team.cache', 'kontext/ci'],
    ['  s3://abc/x_y=1+2  ', 'abc', 'x_y=1+2'],
  ])('%j → bucket %s, prefix %j', (text, bucket, prefix) => {
    expect(parseRemoteUrl(text, 'X')).toMatchObject({ bucket, prefix });
  });

  it.each([
    'https://team-cache/x',
    's3://',
    's3://ab',
    's3://Team-Cache',
    's3://-team',
    's3://team-cache/../other',
    's3://team-cache/./x',
    's3://team-cache/a b',
    's3://team-cache/a?x=1',
    's3://user:pw@team-cache/x',
    `s3://${'a'.repeat(64)}`,
  ])('refuses %j (exit 64, naming the setting)', (text) => {
    expect(() => parseRemoteUrl(text, 'KONTEXT_REMOTE_CACHE')).toThrow(
      expect.objectContaining({
        exitCode: 64,
        message: expect.stringContaining('KONTEXT_REMOTE_CACHE'),
        hint: expect.stringContaining('--no-remote'),
      }),
    );
  });

  it('does not echo the credentials of a URL written with them', () => {
    for (const text of [
      's3://AKIAEXAMPLE:wJalrSecret@team-cache/x',
      's3://tok3n-secret@team-cache',
      'https://u:pw9@h/x',
    ])
      expect(() => parseRemoteUrl(text, 'KONTEXT_REMOTE_CACHE')).toThrow(
        expect.objectContaining({ message: expect.not.stringMatching(/AKIAEXAMPLE|wJalrSecret|tok3n-secret|pw9/) }),
      );
  });

  it('names objects under <prefix>/v1, fanned out by two hex characters', () => {
    const loc = parseRemoteUrl('s3://team-cache/k', 'X');
    expect(blobObject(loc, KEY)).toBe(`k/v1/blobs/ab/${KEY}`);
    expect(recordObject(loc, KEY)).toBe(`k/v1/records/ab/${KEY}.json`);
    expect(recordObject(parseRemoteUrl('s3://team-cache', 'X'), KEY)).toBe(`v1/records/ab/${KEY}.json`);
  });
});

describe('chooseRemote', () => {
  const base = { env: {}, recipeFile: 'r.yml' };
  it.each([
    [{}, null],
    [{ off: true, env: { KONTEXT_REMOTE_CACHE: 's3://env-b' } }, null],
    [
      { env: { KONTEXT_REMOTE_CACHE: 's3://env-b' }, recipe: 's3://rec-b', user: 's3://usr-b' },
      ['env', 's3://env-b', true],
    ],
    [{ env: { KONTEXT_REMOTE_CACHE: '  ' }, user: 's3://usr-b' }, ['user', 's3://usr-b', true]],
    [{ recipe: 's3://rec-b/x', user: 's3://usr-b' }, ['recipe', 's3://rec-b/x', false]],
    [{ recipe: 's3://rec-b/x', user: 's3://rec-b/y' }, ['recipe', 's3://rec-b/x', true]],
    [{ recipe: 's3://rec-b/x', trustRecipe: true }, ['recipe', 's3://rec-b/x', true]],
  ] as const)('%j → %j', (inputs, want) => {
    const got = chooseRemote({ ...base, ...inputs });
    expect(got === null ? null : [got.from, got.location.url, got.upload]).toEqual(want);
  });

  it("says once why a recipe's remote is read-only", () => {
    expect(chooseRemote({ ...base, recipe: 's3://rec-b' })?.notice).toMatch(/r\.yml: used read-only/);
    expect(chooseRemote({ ...base, recipe: 's3://rec-b', trustRecipe: true })?.notice).toBeNull();
  });
});
