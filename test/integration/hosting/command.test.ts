/**
 * `command` hosting with a real script (test/fixtures/hosting/upload.sh): success, failures,
 * timeout (the whole process group dies), and a file name full of shell metacharacters that
 * must stay data.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHosting, HostingError, type Hosting, type HostingConfig } from '../../../src/hosting/index.js';
import { jpegHolding } from '../../helpers/test-images.js';
import { createTestProject, testClock, testRuntime, type TestProject } from './project.js';

const SCRIPT = resolve('test/fixtures/hosting/upload.sh');

let project: TestProject;
let uploadDir: string;

beforeEach(async () => {
  project = await createTestProject();
  uploadDir = join(project.root, 'uploaded');
  await mkdir(uploadDir);
});

afterEach(() => project.cleanup());

function hosting(
  config: Omit<Extract<HostingConfig, { mode: 'command' }>, 'mode'>,
  env: Record<string, string> = {},
  now?: () => number,
): Hosting {
  const rt = testRuntime({ PATH: process.env['PATH'] ?? '/usr/bin:/bin', UPLOAD_DIR: uploadDir, ...env }, now);
  return createHosting({ mode: 'command', ...config }, { rt, cacheDir: project.cacheDir, projectRoot: project.root });
}

async function invocations(): Promise<number> {
  const log = await readFile(join(uploadDir, 'invocations.log'), 'utf8').catch(() => '');
  return log.split('\n').filter((l) => l !== '').length;
}

async function failure(p: Promise<unknown>): Promise<HostingError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(HostingError);
  return e as HostingError;
}

/** Whether `pid` is gone (or a zombie nobody reaped yet) within a generous bound. */
async function stopsRunning(pid: number): Promise<boolean> {
  for (let i = 0; i < 100; i += 1) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
    if (stat === null || / Z /.test(stat)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describe('command hosting', () => {
  it('passes the file through env vars and takes the last non-empty stdout line as the URL', async () => {
    const img = await project.image('assets/photo.png', 'png bytes');
    const hosted = await hosting({ command: `sh ${SCRIPT}` }).urlFor(img);
    expect(hosted).toMatchObject({
      url: `https://cdn.example.test/${img.sha256}.png`,
      via: 'command',
      uploaded: true,
      bytesUploaded: img.bytes,
    });
    expect((await readFile(join(uploadDir, `${img.sha256}.png`))).equals(await readFile(img.path))).toBe(true);
    expect(await readFile(join(uploadDir, `${img.sha256}.type`), 'utf8')).toBe('image/png\n');
  });

  it('reuses the URL for url_ttl_seconds, then runs the command again', async () => {
    const clock = testClock();
    const img = await project.image('x.jpg', 'x');
    const h = hosting({ command: ['sh', SCRIPT], url_ttl_seconds: 3600 }, {}, clock.now);
    await h.urlFor(img);
    expect((await h.urlFor(img)).via).toBe('cache');
    expect((await h.describe(img)).text).toMatch(/^reuse hosted URL \(expires in 5\d min\)$/);
    clock.advance(56 * 60_000);
    expect((await h.describe(img)).action).toBe('rehost');
    expect((await h.urlFor(img)).via).toBe('command');
    expect(await invocations()).toBe(2);
  });

  it('never executes shell metacharacters from a file name (string and array forms)', async () => {
    const img = await project.image("a b;$(touch pwned)'`touch pwned2`.jpg", jpegHolding('evil name'));
    for (const command of [`sh ${SCRIPT}`, ['sh', SCRIPT]]) {
      await hosting({ command }).urlFor(img);
    }
    expect(await invocations()).toBe(2);
    expect((await readFile(join(uploadDir, `${img.sha256}.jpg`))).equals(await readFile(img.path))).toBe(true);
    const everywhere = [project.root, uploadDir, join(project.root, '.kontext'), process.cwd()];
    for (const dir of everywhere) {
      expect(existsSync(join(dir, 'pwned'))).toBe(false);
      expect(existsSync(join(dir, 'pwned2'))).toBe(false);
    }
  });

  it('reports a non-zero exit with the last stderr line, scrubbed of presigned query strings', async () => {
    const img = await project.image('f.png', 'f');
    const e = await failure(hosting({ command: `sh ${SCRIPT}` }, { UPLOAD_MODE: 'fail' }).urlFor(img));
    expect(e.code).toBe('E_HOSTING_COMMAND_FAILED');
    expect(e.exitCode).toBe(69);
    expect(e.message).toContain('exit 3');
    expect(e.message).toContain('upload failed: https://storage.example.test/x?… denied');
    expect(e.message).not.toContain('deadbeef');
    expect(e.message).not.toContain(SCRIPT);
    await expect(readdir(join(project.cacheDir, 'hosted'))).rejects.toThrow();
  });

  it('the command reads the bytes kontext checked, not the file, which may be swapped meanwhile (walk-p)', async () => {
    const img = await project.image('swap.jpg', jpegHolding('checked bytes'));
    const checked = await readFile(img.path);
    // The swap lands between kontext's checks and the command's read: done here by the command
    // itself, before it copies KONTEXT_FILE (the user's file, once) to the upload folder.
    const command = [
      `printf '<html><script>x</script></html>' > "$SOURCE"`,
      'cp "$KONTEXT_FILE" "$UPLOAD_DIR/$KONTEXT_SHA256.$KONTEXT_EXT"',
      'printf %s "$KONTEXT_FILE" > "$UPLOAD_DIR/read-from"',
      'stat -c %a "$KONTEXT_FILE" > "$UPLOAD_DIR/mode"',
      'echo "https://cdn.example.test/$KONTEXT_SHA256.$KONTEXT_EXT"',
    ].join(' && ');
    await hosting({ command }, { SOURCE: img.path }).urlFor(img);
    expect((await readFile(img.path, 'utf8')).startsWith('<html>')).toBe(true);
    expect((await readFile(join(uploadDir, `${img.sha256}.jpg`))).equals(checked)).toBe(true);
    // A private copy, gone once the command is over.
    const readFrom = await readFile(join(uploadDir, 'read-from'), 'utf8');
    expect(readFrom.startsWith(tmpdir())).toBe(true);
    expect(existsSync(readFrom)).toBe(false);
    // Readable by others, as an uploader that keeps modes (rsync -a, scp -p) would publish it (review-t).
    expect((await readFile(join(uploadDir, 'mode'), 'utf8')).trim()).toBe('644');
  });

  it('kills the whole process group on timeout', async () => {
    const img = await project.image('t.png', 't');
    const started = Date.now();
    const e = await failure(
      hosting({ command: `sh ${SCRIPT}`, timeout_seconds: 0.5 }, { UPLOAD_MODE: 'hang' }).urlFor(img),
    );
    expect(e.code).toBe('E_HOSTING_COMMAND_TIMEOUT');
    expect(e.exitCode).toBe(75);
    expect(Date.now() - started).toBeLessThan(20_000);
    const pid = Number(await readFile(join(uploadDir, 'child.pid'), 'utf8'));
    expect(await stopsRunning(pid)).toBe(true);
  });

  it('takes the URL once the command exits, though a process it left in the background holds its output', async () => {
    const img = await project.image('bg.png', 'bg');
    // The helper outlives the command with stdout open: waiting for that pipe to close timed out.
    const command = `sleep 10 & echo "https://cdn.example.test/$KONTEXT_SHA256.png"`;
    const hosted = await hosting({ command, timeout_seconds: 3 }).urlFor(img);
    expect(hosted).toMatchObject({ url: `https://cdn.example.test/${img.sha256}.png`, via: 'command' });
  });

  it('stops the command when the run is cancelled, rethrowing the abort reason', async () => {
    const img = await project.image('c.png', 'c');
    const controller = new AbortController();
    const reason = new Error('cancelled by test');
    const pending = hosting({ command: `sh ${SCRIPT}` }, { UPLOAD_MODE: 'hang' }).urlFor(img, {
      signal: controller.signal,
    });
    for (let i = 0; i < 200 && !existsSync(join(uploadDir, 'child.pid')); i += 1)
      await new Promise((r) => setTimeout(r, 20));
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    const pid = Number(await readFile(join(uploadDir, 'child.pid'), 'utf8'));
    expect(await stopsRunning(pid)).toBe(true);
  });

  it('refuses output that is not an http(s) URL', async () => {
    const img = await project.image('n.png', 'n');
    for (const mode of ['nourl', 'badurl']) {
      const e = await failure(hosting({ command: `sh ${SCRIPT}` }, { UPLOAD_MODE: mode }).urlFor(img));
      expect(e.code).toBe('E_HOSTING_COMMAND_OUTPUT');
      expect(e.exitCode).toBe(65);
    }
  });

  it('refuses a URL line with a space or a control character, hands out the URL parsed (walk-af 7)', async () => {
    const img = await project.image('w.png', 'w');
    for (const line of [
      'https://cdn.example.test/w.png (0.2 s)',
      'https://cdn.example.test/w\\tx.png',
      'https://cdn.example.test/\\033[1mw.png',
    ]) {
      const e = await failure(hosting({ command: `printf '${line}\\n'` }).urlFor(img));
      expect(e).toMatchObject({ code: 'E_HOSTING_COMMAND_OUTPUT', exitCode: 65 });
      expect(e.message).toMatch(/must print only the URL on its last line/);
    }
    expect(await project.hostedRecords().catch(() => [])).toEqual([]);
    const hosted = await hosting({ command: 'echo "  HTTPS://CDN.Example.TEST/a/../w.png  "' }).urlFor(img);
    expect(hosted.url).toBe('https://cdn.example.test/w.png');
  });

  it('names the signal that killed the command or what a shell ran (walk-af 10: SIGKILL, OOM)', async () => {
    const img = await project.image('k.png', 'k');
    const cases = [
      [
        'kill -KILL $$',
        /^hosting command was killed by SIGKILL, not by kontext \(the system may have run out of memory/,
      ],
      ['kill -TERM $$', /^hosting command was killed by SIGTERM$/],
      [
        'sh -c "kill -KILL \\$\\$"; exit $?',
        /^hosting command failed \(exit 137: as a shell says what it ran was killed by SIGKILL/,
      ],
    ] as const;
    for (const [command, message] of cases) {
      const e = await failure(hosting({ command }).urlFor(img));
      expect(e.code, command).toBe('E_HOSTING_COMMAND_FAILED');
      expect(e.message, command).toMatch(message);
    }
  });

  it('refuses a loopback or private URL unless the API is itself local, before anything is recorded', async () => {
    const img = await project.image('p.png', 'p');
    for (const url of [
      'http://127.0.0.1:9000/p.png',
      'https://localhost/p.png',
      'http://[::1]/p.png',
      'http://192.168.1.20/p.png',
    ]) {
      const e = await failure(hosting({ command: `echo "${url}"` }).urlFor(img));
      expect(e.code).toBe('E_HOSTING_PRIVATE_URL');
      expect(e.exitCode).toBe(65);
      expect(e.message).toMatch(/^hosting command printed a (loopback|private-network) URL \(http/);
    }
    expect(await project.hostedRecords().catch(() => [])).toEqual([]);
    const rt = testRuntime({ PATH: process.env['PATH'] ?? '/usr/bin:/bin' });
    const local = createHosting(
      { mode: 'command', command: 'echo http://127.0.0.1:9000/p.png' },
      { rt, cacheDir: project.cacheDir, projectRoot: project.root, allowPrivateUrls: true },
    );
    expect((await local.urlFor(img)).url).toBe('http://127.0.0.1:9000/p.png');
  });

  it('says clearly when the program does not exist', async () => {
    const img = await project.image('m.png', 'm');
    for (const command of [['/nonexistent/kontext-upload'], 'kontext-no-such-uploader "$KONTEXT_FILE"']) {
      const e = await failure(hosting({ command }).urlFor(img));
      expect(e.code).toBe('E_HOSTING_COMMAND_NOT_FOUND');
    }
  });

  it('rejects an empty command when the hosting is created', () => {
    expect(() => hosting({ command: '  ' })).toThrow(/command is empty/);
    expect(() => hosting({ command: [] })).toThrow(/command is empty/);
  });
});
