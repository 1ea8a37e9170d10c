import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../../src/errors.js';
import { allowedHosts, resolveBaseUrl, resolveToken } from '../../../src/providers/runcomfy/auth.js';
import { AuthError } from '../../../src/providers/runcomfy/errors.js';
import { resolveBflKey } from '../../../src/providers/bfl/auth.js';
import { resolveFalKey } from '../../../src/providers/fal/auth.js';
import { resolveReplicateToken } from '../../../src/providers/replicate/auth.js';
import { createRuntime } from '../../../src/runtime.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-auth-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const rtWith = (env: Record<string, string | undefined>) => createRuntime({ env });

async function tokenFile(folder: string, body: unknown, mode = 0o600): Promise<string> {
  await mkdir(folder, { recursive: true });
  const file = join(folder, 'token.json');
  await writeFile(file, typeof body === 'string' ? body : JSON.stringify(body));
  await chmod(file, mode);
  return file;
}

describe('resolveToken', () => {
  it('RUNCOMFY_TOKEN wins, trimmed, over any file', async () => {
    await tokenFile(join(dir, 'cfg'), { access_token: 'from-file' });
    const got = await resolveToken(rtWith({ RUNCOMFY_TOKEN: '  from-env \n', RUNCOMFY_CONFIG_DIR: join(dir, 'cfg') }));
    expect(got).toEqual({ token: 'from-env', source: 'env' });
  });

  it('a blank RUNCOMFY_TOKEN falls through to the file', async () => {
    const file = await tokenFile(join(dir, 'cfg'), {
      access_token: 'from-file',
      refresh_token: null,
      expires_at: null,
      user_email: null,
    });
    const got = await resolveToken(rtWith({ RUNCOMFY_TOKEN: '   ', RUNCOMFY_CONFIG_DIR: join(dir, 'cfg') }));
    expect(got).toEqual({ token: 'from-file', source: 'file', file });
  });

  it('looks in RUNCOMFY_CONFIG_DIR, then $XDG_CONFIG_HOME/runcomfy, then $HOME/.config/runcomfy', async () => {
    await tokenFile(join(dir, 'xdg', 'runcomfy'), { access_token: 'xdg' });
    await tokenFile(join(dir, 'home', '.config', 'runcomfy'), { access_token: 'home' });
    expect((await resolveToken(rtWith({ XDG_CONFIG_HOME: join(dir, 'xdg'), HOME: join(dir, 'home') }))).token).toBe(
      'xdg',
    );
    expect((await resolveToken(rtWith({ HOME: join(dir, 'home') }))).token).toBe('home');
  });

  it.skipIf(platform() === 'win32')('warns when the token file is readable by group or others', async () => {
    const file = await tokenFile(join(dir, 'cfg'), { access_token: 't' }, 0o644);
    const got = await resolveToken(rtWith({ RUNCOMFY_CONFIG_DIR: join(dir, 'cfg') }));
    expect(got.warning).toContain(file);
    expect(got.warning).toContain('chmod 600');
    await chmod(file, 0o600);
    expect((await resolveToken(rtWith({ RUNCOMFY_CONFIG_DIR: join(dir, 'cfg') }))).warning).toBeUndefined();
  });

  it.each([
    ['no file', undefined],
    ['not JSON', 'access_token=abc'],
    ['no access_token', { refresh_token: 'r' }],
    ['empty access_token', { access_token: '  ' }],
  ])('throws AuthError (exit 77) with the login hint: %s', async (_name, body) => {
    if (body !== undefined) await tokenFile(join(dir, 'cfg'), body);
    const e = await resolveToken(rtWith({ RUNCOMFY_CONFIG_DIR: join(dir, 'cfg') })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AuthError);
    expect((e as AuthError).exitCode).toBe(ExitCode.NO_PERM);
    expect((e as AuthError).hint).toBe('set RUNCOMFY_TOKEN or run `runcomfy login`');
    // Said for what it is (walk-o): not "has no access_token" for a file that is not JSON.
    if (_name === 'not JSON')
      expect((e as AuthError).message).toBe(
        `not signed in: ${join(dir, 'cfg', 'token.json')}:1:1: the token file is not valid JSON`,
      );
  });

  it('throws AuthError when no home is known at all', async () => {
    await expect(resolveToken(rtWith({}))).rejects.toBeInstanceOf(AuthError);
  });
});

describe('resolveBaseUrl / allowedHosts', () => {
  it.each([
    [undefined, 'https://model-api.runcomfy.net/v1'],
    ['', 'https://model-api.runcomfy.net/v1'],
    ['  http://127.0.0.1:8787/v1/  ', 'http://127.0.0.1:8787/v1'],
    ['https://example.test/v1', 'https://example.test/v1'],
  ])('RUNCOMFY_MODEL_API_BASE=%j → %s', (value, expected) => {
    expect(resolveBaseUrl(rtWith({ RUNCOMFY_MODEL_API_BASE: value }))).toBe(expected);
  });

  it('reads KONTEXT_ALLOW_HOSTS', () => {
    expect(allowedHosts(rtWith({ KONTEXT_ALLOW_HOSTS: '127.0.0.1, files.test' }))).toEqual(['127.0.0.1', 'files.test']);
    expect(allowedHosts(rtWith({}))).toEqual([]);
  });
});

describe('a key an HTTP header cannot carry (walk-o: it was refused unsent, yet counted maybe paid)', () => {
  const BAD = ['\u201ctok-PRIVATE-7f3a\u201d', 'tok-PRIVATE\n7f3a', 'tok-PRIVATE-7f3\u00e9', 'tok PRIVATE'];

  it.each(BAD)('RUNCOMFY_TOKEN %j: exit 77 naming the variable and the character, never the key', async (bad) => {
    const e = await resolveToken(rtWith({ RUNCOMFY_TOKEN: bad })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AuthError);
    expect((e as AuthError).exitCode).toBe(ExitCode.NO_PERM);
    expect((e as AuthError).message).toMatch(/^RUNCOMFY_TOKEN holds a character an HTTP header cannot carry \(U\+/);
    expect(`${(e as AuthError).message} ${(e as AuthError).hint}`).not.toContain('PRIVATE');
  });

  it("token.json's access_token alike, named by its file", async () => {
    const file = await tokenFile(join(dir, 'cfg'), { access_token: '\u201ctok-PRIVATE\u201d' });
    const e = await resolveToken(rtWith({ RUNCOMFY_CONFIG_DIR: join(dir, 'cfg') })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AuthError);
    expect((e as AuthError).message).toContain(`the access_token of ${file} holds a character`);
    expect((e as AuthError).message).toContain('a curly quote');
  });

  it.each([
    ['BFL_API_KEY', () => resolveBflKey(rtWith({ BFL_API_KEY: BAD[0] }))],
    ['FAL_KEY', () => resolveFalKey(rtWith({ FAL_KEY: BAD[1] }))],
    ['FAL_KEY_SECRET', () => resolveFalKey(rtWith({ FAL_KEY_ID: 'id', FAL_KEY_SECRET: BAD[2] }))],
    ['REPLICATE_API_TOKEN', () => resolveReplicateToken(rtWith({ REPLICATE_API_TOKEN: BAD[3] }))],
  ] as const)('%s: exit 77 too', (name, read) => {
    let e: unknown;
    try {
      read();
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(AuthError);
    expect((e as AuthError).message.startsWith(`${name} holds a character`)).toBe(true);
    expect((e as AuthError).message).not.toContain('PRIVATE');
  });

  it('a good key of visible ASCII passes untouched (fal id:secret included)', async () => {
    expect(resolveFalKey(rtWith({ FAL_KEY_ID: 'a1-b2', FAL_KEY_SECRET: 's3_c/4+=' }))).toBe('a1-b2:s3_c/4+=');
    expect((await resolveToken(rtWith({ RUNCOMFY_TOKEN: 'rc_AbC-123.xyz~' }))).token).toBe('rc_AbC-123.xyz~');
  });
});
