/**
 * A system error that is a limit a person changes, where no typed error was made: a name too
 * long for the file system (a real one, from fs) is exit 73 naming the path, out of file
 * descriptors exit 75 with the `ulimit -n` / `-j` hint; never "internal error", exit 70. Both as
 * the CLI's last word (render-error.ts) and as a node's failure (run/outcome.ts); a store write's
 * ENAMETOOLONG is its typed error (store/write-errors.ts).
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { renderError } from '../../../src/cli/render-error.js';
import { failureOf } from '../../../src/run/outcome.js';
import { writeFailure } from '../../../src/store/write-errors.js';

const tooLong = join(tmpdir(), `${'n'.repeat(300)}.json`);
const nameTooLong = (): Promise<unknown> =>
  open(tooLong, 'r').then(
    () => new Error('opened?'),
    (e: unknown) => e,
  );
/** What Node's fs throws at the limit (`ulimit -n`): test/e2e/fd-limit.test.ts meets the real one. */
const outOfDescriptors = Object.assign(new Error("EMFILE: too many open files, open '/x/y'"), {
  code: 'EMFILE',
  syscall: 'open',
});

describe('system limits are not internal errors', () => {
  it('ENAMETOOLONG: exit 73, the path named, a hint', async () => {
    const e = await nameTooLong();
    const r = renderError(e, { debug: false, secrets: [] });
    expect(r.exitCode).toBe(73);
    expect(r.lines.join('\n')).toContain(tooLong);
    expect(r.lines.join('\n')).toMatch(/too long for the file system/);
    expect(r.lines.join('\n')).not.toMatch(/internal error|please report/);
    expect(failureOf(e)).toMatchObject({ code: 'E_NAME_TOO_LONG', exit_code: 73 });
  });

  it('ENAMETOOLONG on a cache, lock or mutex write: a typed store error, exit 73 naming the file', async () => {
    const e = writeFailure(await nameTooLong(), tooLong, 'nothing was written');
    expect(e).toMatchObject({ code: 'E_WRITE_FAILED', exitCode: 73 });
    expect(String((e as Error).message)).toContain(tooLong);
    expect((e as { hint?: string }).hint).toMatch(/too long for the file system/);
  });

  it('EMFILE: exit 75 with the ulimit hint', () => {
    const r = renderError(outOfDescriptors, { debug: false, secrets: [] });
    expect(r.exitCode).toBe(75);
    expect(r.lines.join('\n')).toMatch(/raise `ulimit -n` or lower `-j`/);
    expect(failureOf(outOfDescriptors)).toMatchObject({ code: 'E_FD_LIMIT', exit_code: 75 });
  });
});
