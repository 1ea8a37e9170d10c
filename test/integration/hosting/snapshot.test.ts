/**
 * The private copy an upload reads (src/hosting/snapshot.ts): made in one read of a regular file,
 * checked, removed afterwards. A FIFO or a device swapped in for the file is refused at once
 * (before, the open of a FIFO froze the process and /dev/zero filled the temp disk: review-u); a
 * temp folder it cannot write is a HostingError (73) naming it; a label naming another kind than
 * the copy's bytes is refused as a change. A copy a killed kontext left behind is removed by the
 * next one to make a copy there, a live one's never.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { HostingError } from '../../../src/hosting/errors.js';
import { withSnapshot } from '../../../src/hosting/snapshot.js';
import { fileReader } from '../../../src/util/image-probe.js';
import { processTag } from '../../../src/util/process-tag.js';
import { ensureBuilt } from '../../helpers/cli-spawn.js';
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

  it.skipIf(processTag === '')(
    "a dead kontext's copy (kill -9 mid-upload) is removed before the next copy; a live one's is kept",
    async () => {
      const [dead, live] = [await uploader('dead.jpg'), await uploader('live.jpg')];
      onTestFinished(async () => {
        live.child.kill('SIGKILL');
        await live.exited;
      });
      dead.child.kill('SIGKILL');
      await dead.exited;
      // What else may sit there: a link named like a dead writer's copy, and an untagged name.
      const outside = join(dir, 'outside');
      execFileSync('mkdir', [outside]);
      await writeFile(join(outside, 'keep.txt'), 'keep');
      const deadTag = /kontext-host-(p\d+t\d+h[0-9a-f]{8})_/.exec(dead.folder)?.[1];
      const link = join(tmp, `kontext-host-${deadTag}_abcdef-9.Aa11Bb`);
      await symlink(outside, link);
      const untagged = join(tmp, 'kontext-host-Xy12Zq');
      execFileSync('mkdir', [untagged]);

      const image = await jpeg('next.jpg');
      await withSnapshot(image, undefined, async () => undefined);
      expect(existsSync(dead.folder)).toBe(false);
      expect(existsSync(join(live.folder, 'live.jpg'))).toBe(true);
      expect(existsSync(link) && existsSync(untagged)).toBe(true);
      expect(await readFile(join(outside, 'keep.txt'), 'utf8')).toBe('keep');
    },
    30_000,
  );
});

/** A node process (the built code) holding a copy of `name` open, as an upload in progress. */
async function uploader(name: string): Promise<{ child: ChildProcess; folder: string; exited: Promise<void> }> {
  await ensureBuilt(); // dist/ as the sources are now, not an older build
  const image = await jpeg(name);
  const module = pathToFileURL(join(process.cwd(), 'dist', 'hosting', 'snapshot.js')).href;
  const script =
    `const { withSnapshot } = await import(${JSON.stringify(module)});` +
    `await withSnapshot(${JSON.stringify(image)}, undefined, async ({ path }) => {` +
    `  console.log(path); await new Promise(() => setInterval(() => {}, 1000)); });`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, TMPDIR: tmp },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const path = await new Promise<string>((resolve, reject) => {
    child.stdout?.once('data', (d: Buffer) => resolve(d.toString().trim()));
    child.once('exit', (code) => reject(new Error(`uploader exited (${code}) before copying`)));
  });
  return { child, folder: dirname(path), exited };
}
