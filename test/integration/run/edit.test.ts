/**
 * `kontext edit` as a library call (`runEdit`): a one-off edit writes its output; with a seed a
 * repeat is a cache hit (zero submits) that leaves an output already holding the result untouched; a
 * missing image or a folder fails with exit 66 before any request.
 */
import { lstat, mkdir, mkdtemp, readdir, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runEdit } from '../../../src/run/edit.js';
import type { RunEvent } from '../../../src/index.js';
import {
  createProject,
  eventsOf,
  isSubmit,
  sha256File,
  startRig,
  testRuntime,
  type Project,
  type Rig,
} from '../../helpers/run-fixtures.js';
import { pngHolding } from '../../helpers/test-images.js';

let project: Project;
let rig: Rig;
beforeEach(async () => {
  project = await createProject('version: 1\n');
  rig = await startRig();
});
afterEach(async () => {
  await rig.close();
  await project.cleanup();
});

async function edit(options: {
  seed?: number;
  image?: string;
  output?: string;
  hosting?: 'inline' | 's3' | undefined;
  noRemote?: boolean;
  env?: Record<string, string>;
}): Promise<{ events: RunEvent[]; output: string | null; exitCode: number }> {
  const rt = testRuntime(project.root, {
    RUNCOMFY_MODEL_API_BASE: rig.emulator.baseUrl,
    KONTEXT_ALLOW_HOSTS: '127.0.0.1',
    RUNCOMFY_TOKEN: 'test-token',
    ...options.env,
  });
  const events: RunEvent[] = [];
  const result = await runEdit(
    {
      image: options.image ?? 'assets/pet-chelsea.jpg',
      prompt: 'Keep the cat unchanged. Add a small red bow tie.',
      seed: options.seed,
      aspectRatio: '1:1',
      output: options.output ?? 'edited/cat.png',
      provider: 'runcomfy',
      hosting: 'hosting' in options ? options.hosting : 'inline',
      noRemote: options.noRemote,
    },
    { rt, onEvent: (e) => events.push(e) },
  );
  return { events, output: result.output, exitCode: result.summary.exitCode };
}

describe('kontext edit (runEdit)', () => {
  it('writes the output; with --seed a repeat is a cache hit with zero submits', async () => {
    const first = await edit({ seed: 11 });
    expect(first.exitCode).toBe(0);
    expect(first.output).toBe(join(project.root, 'edited', 'cat.png'));
    expect((await stat(first.output ?? '')).size).toBeGreaterThan(0);
    const submits = rig.submits();
    expect(submits).toHaveLength(1);
    expect(submits[0]?.body).toMatchObject({ seed: 11, aspect_ratio: '1:1' });
    const sha = await sha256File(first.output ?? '');

    const again = await edit({ seed: 11 });
    expect(again.exitCode).toBe(0);
    expect(rig.calls().filter(isSubmit)).toHaveLength(1);
    expect(eventsOf(again.events, 'node-cached')).toHaveLength(1);
    expect(await sha256File(again.output ?? '')).toBe(sha);
  });

  it('a repeat leaves an output already holding the result alone, and says so; a missing one is restored', async () => {
    const first = await edit({ seed: 12 });
    const output = first.output ?? '';
    const sha = await sha256File(output);
    // kontext's marker of writing it there, aged (gc --older-than prunes markers by age).
    const markers = join(project.cacheDir, 'written');
    const [marker] = (await readdir(markers, { recursive: true, withFileTypes: true })).filter((d) => d.isFile());
    const markerPath = join(marker?.parentPath ?? '', marker?.name ?? '');
    const old = new Date(Date.now() - 86_400_000);
    await utimes(markerPath, old, old);
    const before = await stat(output);

    const again = await edit({ seed: 12 });
    expect(eventsOf(again.events, 'node-cached').map((e) => e.restored)).toEqual([false]);
    const after = await stat(output);
    expect([after.mtimeMs, after.ino]).toEqual([before.mtimeMs, before.ino]);
    expect((await stat(markerPath)).mtimeMs).toBeGreaterThan(old.getTime() + 60_000); // still fresh

    await rm(output);
    const restored = await edit({ seed: 12 });
    expect(eventsOf(restored.events, 'node-cached').map((e) => e.restored)).toEqual([true]);
    expect(await sha256File(output)).toBe(sha);

    // The output swapped for a link out of the project to the same bytes: never "up to date" (it
    // would be left for the lock to name, and would tell what the file out there holds); replaced.
    const outside = await mkdtemp(join(tmpdir(), 'kontext-outside-'));
    try {
      const copy = join(outside, 'same.png');
      await rename(output, copy);
      await symlink(copy, output);
      const linked = await edit({ seed: 12 });
      expect(eventsOf(linked.events, 'node-cached').map((e) => e.restored)).toEqual([true]);
      expect((await lstat(output)).isSymbolicLink()).toBe(false);
      expect(await sha256File(copy)).toBe(sha);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
    expect(rig.calls().filter(isSubmit)).toHaveLength(1);
  });

  it('an --image that is not an image (a dotenv file) fails with exit 65 naming it, before any request', async () => {
    await writeFile(join(project.root, '.env'), 'RUNCOMFY_TOKEN=secret\n');
    await expect(edit({ image: '.env' })).rejects.toMatchObject({ exitCode: 65, code: 'E_SOURCE_NOT_IMAGE' });
    await expect(edit({ image: '.env' })).rejects.toThrow(/--image \.env: not an image/);
    // A TIFF is an image, of a kind kontext does not send: said so (walk-af 10).
    await writeFile(join(project.root, 'scan.tif'), Buffer.from('4d4d002a00000008', 'hex'));
    await expect(edit({ image: 'scan.tif' })).rejects.toThrow(
      /^--image scan\.tif: not a supported image kind \(TIFF; kontext sends PNG, JPEG, WebP, GIF, AVIF or HEIC\)$/,
    );
    expect(rig.calls()).toEqual([]);
  });

  it('an --image that is a git LFS pointer (a checkout without LFS) says so, exit 65, before any request', async () => {
    const oid = 'a'.repeat(64);
    await writeFile(
      join(project.root, 'photo.jpg'),
      `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize 12345\n`,
    );
    await expect(edit({ image: 'photo.jpg' })).rejects.toMatchObject({
      exitCode: 65,
      code: 'E_SOURCE_NOT_IMAGE',
      message: '--image photo.jpg is a git LFS pointer, not the image: the checkout did not fetch LFS files',
      hint: 'run "git lfs pull"',
    });
    expect(rig.calls()).toEqual([]);
  });

  it.each([
    ['https://', /--image: not a valid URL: "https:\/\/"/],
    ['https://exa mple.com/x.png', /--image: not a valid URL/],
    // Not a URL to the WHATWG parser (a port out of range): its password and query are left out all the same.
    [
      'https://user:pw@127.0.0.1:99999/x.png?sig=pw',
      /--image: not a valid URL: "https:\/\/127\.0\.0\.1:99999\/x\.png\?…"/,
    ],
    [
      'https://user:pw@127.0.0.1:1/x.png',
      /--image: URL with a user name or password: "https:\/\/\*\*\*@127\.0\.0\.1:1\/x\.png"/,
    ],
    ['http://127.0.0.1:1/x.png', /--image: plain http:\/\/ URL/],
    ['ftp://127.0.0.1/x.png', /--image: unsupported URL scheme "ftp:\/\/"/],
  ])('--image %s is refused as a recipe source is: exit 65, nothing hosted or submitted', async (image, message) => {
    const refused = edit({ seed: 1, image });
    await expect(refused).rejects.toMatchObject({ exitCode: 65, code: 'E_SOURCE_URL' });
    const e = (await refused.catch((err: unknown) => err)) as Error;
    expect(e.message).toMatch(message);
    expect(e.message).not.toMatch(/pw/);
    expect(rig.calls()).toEqual([]);
  });

  it('uses the remote cache as a run does; noRemote (--no-remote) leaves it alone, a malformed one too', async () => {
    // A remote nothing listens at: the edit goes on without it and says its result was not uploaded.
    const down = { KONTEXT_REMOTE_CACHE: 's3://team/kontext', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9' };
    const notices = (events: RunEvent[]) => events.flatMap((e) => (e.type === 'notice' ? [e.message] : []));
    const used = await edit({ seed: 21, env: { ...down, AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's' } });
    expect(used.exitCode).toBe(0);
    expect(notices(used.events)).toContainEqual(expect.stringContaining('not uploaded'));
    const off = await edit({ seed: 22, output: 'edited/off.png', noRemote: true, env: down });
    expect(off.exitCode).toBe(0);
    expect(notices(off.events).filter((m) => m.includes('remote'))).toEqual([]);

    const malformed = { KONTEXT_REMOTE_CACHE: 'team-bucket/kontext' };
    await expect(edit({ seed: 23, output: 'edited/bad.png', env: malformed })).rejects.toMatchObject({
      exitCode: 64,
      message: expect.stringMatching(/^KONTEXT_REMOTE_CACHE: /),
    });
    const ok = await edit({ seed: 23, output: 'edited/bad.png', noRemote: true, env: malformed });
    expect(ok.exitCode).toBe(0);
    expect(rig.calls().filter(isSubmit)).toHaveLength(3);
  });

  it('-o naming a folder (existing, or with a trailing slash) writes <stem>-edited.png in it', async () => {
    await mkdir(join(project.root, 'edited'));
    const into = await edit({ seed: 11, output: 'edited' });
    expect(into.output).toBe(join(project.root, 'edited', 'pet-chelsea-edited.png'));
    const slash = await edit({ seed: 11, output: 'later/' });
    expect(slash.output).toBe(join(project.root, 'later', 'pet-chelsea-edited.png'));
    expect(await sha256File(slash.output ?? '')).toBe(await sha256File(into.output ?? ''));
    await expect(stat(join(project.root, 'edited.png'))).rejects.toThrow();
    await expect(stat(join(project.root, 'later.png'))).rejects.toThrow();
  });

  it('a folder as --image fails with exit 66 saying it is a folder, not "no such file"', async () => {
    const refused = edit({ image: 'assets' });
    await expect(refused).rejects.toMatchObject({ exitCode: 66 });
    await expect(refused).rejects.toThrow(/--image assets: a folder, not an image file/);
    expect(rig.calls()).toEqual([]);
  });

  it('a FIFO or a link to /dev/urandom as --image: exit 66 "not a regular file", as a recipe source says', async () => {
    execFileSync('mkfifo', [join(project.root, 'pipe.png')]);
    await symlink('/dev/urandom', join(project.root, 'random.png'));
    for (const image of ['pipe.png', 'random.png']) {
      const refused = edit({ image });
      await expect(refused).rejects.toMatchObject({ exitCode: 66, code: 'E_SOURCE_NOT_FILE' });
      await expect(refused).rejects.toThrow(`--image ${image}: not a regular file (a device, FIFO or socket)`);
    }
    expect(rig.calls()).toEqual([]);
  });

  it('a local --image with no hosting is exit 65 naming the options edit has, not a recipe', async () => {
    const refused = edit({ seed: 1, hosting: undefined });
    await expect(refused).rejects.toMatchObject({ exitCode: 65, code: 'E_NO_HOSTING' });
    const e = (await refused.catch((err: unknown) => err)) as { message: string; hint?: string };
    expect(e.message).toMatch(/^--image assets\/pet-chelsea\.jpg is a local file/);
    expect(e.hint).toMatch(/--hosting inline/);
    expect(e.hint).toMatch(/config\.json/);
    expect(e.hint).not.toMatch(/recipe/);
    expect(rig.calls()).toEqual([]);
  });

  it('--hosting s3 with no settings is exit 64 naming the user config, not a recipe to add them to', async () => {
    const refused = edit({ seed: 1, hosting: 's3' });
    await expect(refused).rejects.toMatchObject({ exitCode: 64 });
    const e = (await refused.catch((err: unknown) => err)) as { message: string; hint?: string };
    expect(e.message).toBe('--hosting s3: no `"hosting": { "mode": "s3", ... }` settings in the user config');
    expect(e.hint).toMatch(
      /^add them to .*config\.json \(see README "Hosting your images"\), or use --hosting inline$/,
    );
    expect(`${e.message} ${e.hint}`).not.toMatch(/recipe/);
    expect(rig.calls()).toEqual([]);
  });

  it("an image over the inline cap on the emulator: the hint names the edit's options, not a recipe", async () => {
    await writeFile(join(project.root, 'big.png'), pngHolding(randomBytes(7_000_000)));
    const rt = testRuntime(project.root, {});
    const refused = runEdit(
      { image: 'big.png', prompt: 'Keep the cat unchanged. Add a small red bow tie.', provider: 'emulator' },
      { rt, onEvent: () => undefined },
    );
    await expect(refused).rejects.toMatchObject({ exitCode: 65, code: 'E_IMAGE_TOO_LARGE' });
    const e = (await refused.catch((err: unknown) => err)) as { hint?: string };
    expect(e.hint).toMatch(/this edit is on the built-in emulator \(--provider emulator\)/);
    expect(e.hint).not.toMatch(/recipe/);
  });

  it("--aspect-ratio is checked against the edit's provider's model: BFL takes 5:4, RunComfy does not", async () => {
    const rt = testRuntime(project.root, {
      BFL_API_KEY: 'test-key',
      BFL_API_BASE: new URL(rig.emulator.baseUrl).origin,
      KONTEXT_ALLOW_HOSTS: '127.0.0.1',
    });
    const request = {
      image: 'assets/pet-chelsea.jpg',
      prompt: 'Keep the cat unchanged. Add a small red bow tie.',
      seed: 5,
      aspectRatio: '5:4',
      hosting: 'inline',
    } as const;
    const bfl = await runEdit({ ...request, provider: 'bfl' }, { rt, onEvent: () => undefined });
    expect(bfl.summary.exitCode).toBe(0);
    expect(bfl.output).not.toBeNull();
    const runcomfy = runEdit({ ...request, provider: 'runcomfy' }, { rt, onEvent: () => undefined });
    await expect(runcomfy).rejects.toMatchObject({ exitCode: 64 });
    await expect(runcomfy).rejects.toThrow('--aspect-ratio 5:4 is not one of 21:9, 16:9');
    // The nearest ratio it takes, as a recipe's aspect_ratio is told (walk-r).
    await expect(runcomfy).rejects.toMatchObject({ hint: 'did you mean 4:3?' });
  });

  it('a missing image fails with exit 66 before any request', async () => {
    await expect(edit({ image: 'assets/nope.jpg' })).rejects.toMatchObject({ exitCode: 66 });
    expect(rig.calls()).toEqual([]);
  });
});
