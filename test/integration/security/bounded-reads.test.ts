import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode, type KontextError } from '../../../src/errors.js';
import { resolveToken } from '../../../src/providers/runcomfy/auth.js';
import { AuthError } from '../../../src/providers/runcomfy/errors.js';
import { loadUserConfig } from '../../../src/recipe/user-config.js';
import { createRuntime } from '../../../src/runtime.js';
import { LockFileError } from '../../../src/store/errors.js';
import { openStore, readLock } from '../../../src/store/index.js';
import { BoundedReadError, READ_CAPS, readBounded, readBoundedSync } from '../../../src/util/read-bounded.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-bounded-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

function fifo(path: string): void {
  execFileSync('mkfifo', [path]);
}

describe('readBounded', () => {
  it('reads a regular file within the cap', async () => {
    await writeFile(join(dir, 'a.json'), '{"a":1}');
    expect((await readBounded(join(dir, 'a.json'), 7)).toString()).toBe('{"a":1}');
  });

  it('refuses a file over the cap, a symlink to /dev/zero and a FIFO (without waiting for a writer)', async () => {
    await writeFile(join(dir, 'big'), Buffer.alloc(100));
    const big = await rejection(readBounded(join(dir, 'big'), 99));
    expect(big).toBeInstanceOf(BoundedReadError);
    expect((big as BoundedReadError).refusal).toBe('too-large');
    await symlink('/dev/zero', join(dir, 'zero'));
    const zero = await rejection(readBounded(join(dir, 'zero'), 1024));
    expect((zero as BoundedReadError).refusal).toBe('not-regular');
    expect((zero as BoundedReadError).exitCode).toBe(ExitCode.DATA_ERR);
    fifo(join(dir, 'pipe'));
    expect(((await rejection(readBounded(join(dir, 'pipe'), 1024))) as BoundedReadError).refusal).toBe('not-regular');
  });

  it('passes a missing file through as ENOENT', async () => {
    expect(((await rejection(readBounded(join(dir, 'nope'), 10))) as NodeJS.ErrnoException).code).toBe('ENOENT');
  });
});

describe('readBoundedSync', () => {
  function thrown(f: () => unknown): unknown {
    try {
      f();
    } catch (e) {
      return e;
    }
    throw new Error('expected a throw');
  }

  it('reads a regular file within the cap, with its fstat', async () => {
    await writeFile(join(dir, 'a.json'), '{"a":1}');
    const read = readBoundedSync(join(dir, 'a.json'), 7);
    expect(read.bytes.toString()).toBe('{"a":1}');
    expect(read.stat.size).toBe(7);
    expect(read.stat.isFile()).toBe(true);
  });

  it('refuses a file over the cap, a symlink to /dev/zero and a FIFO (without waiting for a writer)', async () => {
    await writeFile(join(dir, 'big'), Buffer.alloc(100));
    expect((thrown(() => readBoundedSync(join(dir, 'big'), 99)) as BoundedReadError).refusal).toBe('too-large');
    await symlink('/dev/zero', join(dir, 'zero'));
    const zero = thrown(() => readBoundedSync(join(dir, 'zero'), 1024));
    expect(zero).toBeInstanceOf(BoundedReadError);
    expect((zero as BoundedReadError).refusal).toBe('not-regular');
    fifo(join(dir, 'pipe'));
    expect((thrown(() => readBoundedSync(join(dir, 'pipe'), 1024)) as BoundedReadError).refusal).toBe('not-regular');
  });

  it('passes a missing file through as ENOENT', () => {
    expect((thrown(() => readBoundedSync(join(dir, 'nope'), 10)) as NodeJS.ErrnoException).code).toBe('ENOENT');
  });
});

describe('token.json', () => {
  it('a token.json symlinked to /dev/zero is refused at once: exit 77 with a hint', async () => {
    await mkdir(join(dir, 'cfg'));
    await symlink('/dev/zero', join(dir, 'cfg', 'token.json'));
    const e = await rejection(resolveToken(createRuntime({ env: { RUNCOMFY_CONFIG_DIR: join(dir, 'cfg') } })));
    expect(e).toBeInstanceOf(AuthError);
    expect((e as AuthError).exitCode).toBe(ExitCode.NO_PERM);
    expect((e as AuthError).message).toMatch(/not a regular file/);
    expect((e as AuthError).hint).toMatch(/RUNCOMFY_TOKEN/);
  });

  it('a token.json over 64 KiB is refused (exit 77)', async () => {
    await mkdir(join(dir, 'cfg'));
    const padding = ' '.repeat(READ_CAPS.token);
    await writeFile(join(dir, 'cfg', 'token.json'), `{"access_token":"t"}${padding}`);
    const e = await rejection(resolveToken(createRuntime({ env: { RUNCOMFY_CONFIG_DIR: join(dir, 'cfg') } })));
    expect((e as AuthError).exitCode).toBe(ExitCode.NO_PERM);
    expect((e as AuthError).message).toMatch(/larger than 65536 bytes/);
  });

  it('a token.json that is a FIFO is refused, not waited on', async () => {
    await mkdir(join(dir, 'cfg'));
    fifo(join(dir, 'cfg', 'token.json'));
    const e = await rejection(resolveToken(createRuntime({ env: { RUNCOMFY_CONFIG_DIR: join(dir, 'cfg') } })));
    expect((e as AuthError).exitCode).toBe(ExitCode.NO_PERM);
  });
});

describe('files we parse are capped', () => {
  it('an oversized lock file is a clear LockFileError (exit 65)', async () => {
    const path = join(dir, 'r.lock.json');
    await writeFile(path, Buffer.alloc(READ_CAPS.lock + 1, 0x20));
    const e = await rejection(readLock(path));
    expect(e).toBeInstanceOf(LockFileError);
    expect((e as LockFileError).exitCode).toBe(ExitCode.DATA_ERR);
    expect((e as LockFileError).message).toMatch(/larger than/);
  });

  it('a lock file symlinked to /dev/zero is refused', async () => {
    const path = join(dir, 'r.lock.json');
    await symlink('/dev/zero', path);
    const e = await rejection(readLock(path));
    expect(e).toBeInstanceOf(LockFileError);
    expect((e as LockFileError).message).toMatch(/not a regular file/);
  });

  it('an oversized journal entry or run record is a clear error naming the file', async () => {
    const store = await openStore(join(dir, 'cache'));
    const key = 'a'.repeat(64);
    await mkdir(join(dir, 'cache', 'journal'), { recursive: true });
    await writeFile(join(dir, 'cache', 'journal', `${key}.json`), Buffer.alloc(READ_CAPS.record + 1, 0x20));
    const j = await rejection(store.journal.get(key));
    expect((j as KontextError).code).toBe('E_STORE_ENTRY_REFUSED');
    expect((j as KontextError).exitCode).toBe(ExitCode.DATA_ERR);
    await mkdir(join(dir, 'cache', 'records', 'aa'), { recursive: true });
    await symlink('/dev/zero', join(dir, 'cache', 'records', 'aa', `${key}.json`));
    const r = await rejection(store.getRecord(key));
    expect((r as KontextError).code).toBe('E_STORE_ENTRY_REFUSED');
    expect((r as KontextError).hint).toMatch(/delete/);
    await rm(join(dir, 'cache', 'records', 'aa', `${key}.json`));
    fifo(join(dir, 'cache', 'records', 'aa', `${key}.json`));
    expect(((await rejection(store.getRecord(key))) as KontextError).code).toBe('E_STORE_ENTRY_REFUSED');
  });

  it('an oversized or device user config is a clear error (exit 65)', async () => {
    await writeFile(join(dir, 'config.json'), Buffer.alloc(READ_CAPS.userConfig + 1, 0x20));
    const rt = createRuntime({ env: { KONTEXT_CONFIG_DIR: dir } });
    const e = await rejection(loadUserConfig(rt));
    expect((e as KontextError).code).toBe('E_USER_CONFIG');
    expect((e as KontextError).exitCode).toBe(ExitCode.DATA_ERR);
    await rm(join(dir, 'config.json'));
    await symlink('/dev/zero', join(dir, 'config.json'));
    expect(((await rejection(loadUserConfig(rt))) as KontextError).message).toMatch(/not a regular file/);
  });
});
