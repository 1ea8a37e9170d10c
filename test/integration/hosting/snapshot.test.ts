/**
 * The private copy an upload reads (src/hosting/snapshot.ts): made in one read of a regular file,
 * checked, removed afterwards. A FIFO or a device swapped in for the file is refused at once
 * (before, the open of a FIFO froze the process and /dev/zero filled the temp disk: review-u); a
 * temp folder it cannot write is a HostingError (73) naming it; a label naming another kind than
 * the copy's bytes is refused as a change.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostingError } from '../../../src/hosting/errors.js';
import { withSnapshot } from '../../../src/hosting/snapshot.js';
import { fileReader } from '../../../src/util/image-probe.js';
import { jpegHolding } from '../../helpers/test-images.js';

let dir = '';
let tmp = '';
const savedTmp = process.env['TMPDIR'];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-snapshot-'));
  tmp = join(dir, 'tmp');
  execFileSync('mkdir', [tmp]);
  process.env['TMPDIR'] = tmp; // os.tmpdir() reads it on every call: the copies land where we can see them
});
afterEach(async () => {
  if (savedTmp === undefined) delete process.env['TMPDIR'];
  else process.env['TMPDIR'] = savedTmp;
  await rm(dir, { recursive: true, force: true });
});

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function jpeg(name: string): Promise<{ path: string; sha256: string; bytes: number; mediaType: string }> {
  const body = Buffer.from(await jpegHolding(name));
  const path = join(dir, name);
  await writeFile(path, body);
  return { path, sha256: sha256(body), bytes: body.length, mediaType: 'image/jpeg' };
}

async function refusal(p: Promise<unknown>): Promise<HostingError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(HostingError);
  return e as HostingError;
}

describe('withSnapshot', () => {
  it('gives the command a copy of the checked bytes under the file name, then removes it', async () => {
    const image = await jpeg('cat.jpg');
    let seen = '';
    const got = await withSnapshot(image, undefined, async ({ path, bytes }) => {
      seen = path;
      expect(path.endsWith('/cat.jpg')).toBe(true);
      expect(bytes).toBe(image.bytes);
      return sha256(await readFile(path));
    });
    expect(got).toBe(image.sha256);
    expect(existsSync(seen)).toBe(false);
    expect(await readdir(tmp)).toEqual([]);
  });

  it('a FIFO swapped in for the file: refused at once, nothing left behind', async () => {
    const image = await jpeg('swap.jpg');
    await rm(image.path);
    execFileSync('mkfifo', [image.path]);
    const e = await refusal(withSnapshot(image, AbortSignal.timeout(10_000), async () => 'sent'));
    expect(e.code).toBe('E_HOSTING_INPUT_REFUSED');
    expect(e.message).toContain('not a regular file');
    expect(await readdir(tmp)).toEqual([]);
  });

  it('a link to /dev/zero swapped in: refused, nothing copied', async () => {
    const image = await jpeg('zero.jpg');
    await rm(image.path);
    await symlink('/dev/zero', image.path);
    const e = await refusal(withSnapshot(image, AbortSignal.timeout(10_000), async () => 'sent'));
    expect(e.code).toBe('E_HOSTING_INPUT_REFUSED');
    expect(await readdir(tmp)).toEqual([]);
  });

  it('a temp folder that is not there: E_HOSTING_TEMP (73) naming it, nothing sent', async () => {
    const image = await jpeg('t.jpg');
    process.env['TMPDIR'] = join(dir, 'no-such-tmp');
    let sent = false;
    const e = await refusal(
      withSnapshot(image, undefined, async () => {
        sent = true;
      }),
    );
    expect(e.code).toBe('E_HOSTING_TEMP');
    expect(e.exitCode).toBe(73);
    expect(e.message).toContain(join(dir, 'no-such-tmp'));
    expect(sent).toBe(false);
  });

  it("a label naming another kind than the copy's bytes: refused as a change, nothing sent", async () => {
    const image = { ...(await jpeg('k.jpg')), mediaType: 'image/png' };
    const e = await refusal(withSnapshot(image, undefined, async () => 'sent'));
    expect(e.code).toBe('E_HOSTING_INPUT_CHANGED');
    expect(await readdir(tmp)).toEqual([]);
  });

  it('bytes that are not the checked ones: refused as a change', async () => {
    const image = await jpeg('c.jpg');
    await writeFile(image.path, Buffer.from(await jpegHolding('another')));
    const e = await refusal(withSnapshot(image, undefined, async () => 'sent'));
    expect(e.code).toBe('E_HOSTING_INPUT_CHANGED');
  });

  it("the image checks' reader refuses a FIFO without blocking on its open (it stalled the process)", async () => {
    const fifo = join(dir, 'f.png');
    execFileSync('mkfifo', [fifo]);
    await expect(fileReader(fifo)).rejects.toThrow(/not a regular file/);
  });
});
