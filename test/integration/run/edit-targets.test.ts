/**
 * Where `kontext edit` (runEdit) may write, decided before it pays: an output that would land in
 * `.git`, in the cache dir or on the input image, or on any file already there (kontext's own
 * included: an edit has no lock to record what it replaced), is refused with exit 65 and no
 * request; `overwrite` replaces any; a file holding the cache hit the edit writes is up to date.
 * The rule holds again at the write, for a file put there while the edit ran. A path through a
 * file is exit 73.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL } from '../../../src/recipe/index.js';
import { runEdit } from '../../../src/run/edit.js';
import { editWriteGuard } from '../../../src/run/edit-target.js';
import { openStore } from '../../../src/store/index.js';
import { checkWriteTarget } from '../../../src/store/write-guard.js';
import {
  createProject,
  sha256File,
  startRig,
  testRuntime,
  type Project,
  type Rig,
} from '../../helpers/run-fixtures.js';

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

interface EditCall {
  output: string;
  seed: number;
  image?: string;
  overwrite?: boolean;
  onStart?: () => void;
}

async function edit(options: EditCall) {
  const rt = testRuntime(project.root, {
    RUNCOMFY_MODEL_API_BASE: rig.emulator.baseUrl,
    KONTEXT_ALLOW_HOSTS: '127.0.0.1',
    RUNCOMFY_TOKEN: 'test-token',
  });
  const result = await runEdit(
    {
      image: options.image ?? 'assets/pet-chelsea.jpg',
      prompt: 'Keep the cat unchanged. Add a small red bow tie.',
      seed: options.seed,
      aspectRatio: '1:1',
      output: options.output,
      provider: 'runcomfy',
      hosting: 'inline',
      overwrite: options.overwrite,
    },
    { rt, onEvent: (e) => (e.type === 'node-start' ? options.onStart?.() : undefined) },
  );
  return { output: result.output, exitCode: result.summary.exitCode };
}

describe('kontext edit: the output path is checked before paying', () => {
  it('-o into .git or into the cache dir is refused with exit 65 and no request', async () => {
    for (const output of ['.git/cat.png', '.cache/kontext/cat.png']) {
      await expect(edit({ output, seed: 1 })).rejects.toMatchObject({ exitCode: 65, code: 'E_WRITE_REFUSED' });
    }
    expect(rig.submits()).toHaveLength(0);
  });

  it('an output that would land on the input image (same name, other extension) is refused before paying', async () => {
    await mkdir(join(project.root, 'in'));
    await copyFile(join(project.root, 'assets', 'pet-chelsea.jpg'), join(project.root, 'in', 'cat.jpg'));
    const first = await edit({ output: 'in/edited.png', seed: 1, image: 'in/cat.jpg' });
    expect(first.exitCode).toBe(0);
    const input = join(project.root, 'in', 'edited.png');
    const sha = await sha256File(input);
    // The emulator answers PNG: `-o in/edited.jpg` would be written as in/edited.png, the input.
    const onInput = edit({ output: 'in/edited.jpg', seed: 2, image: 'in/edited.png' });
    await expect(onInput).rejects.toMatchObject({
      exitCode: 65,
      code: 'E_WRITE_REFUSED',
      message: `refusing to write ${input}: it is the edit's input image`, // not "the recipe or one of its sources"
      hint: expect.stringMatching(/^pass another -o/),
    });
    expect(rig.submits()).toHaveLength(1);
    expect(await sha256File(input)).toBe(sha);
  });

  it('a file at an extension the result may take is named as such at the write, not as a recipe file', async () => {
    await writeFile(join(project.root, 'cat.jpg'), 'my own photo\n');
    const store = await openStore(project.cacheDir);
    const target = {
      outDir: project.root,
      name: 'cat',
      input: join(project.root, 'assets', 'pet-chelsea.jpg'),
      projectRoot: project.root,
      provider: 'runcomfy' as const,
      model: DEFAULT_MODEL,
      overwrite: false,
    };
    const guard = await editWriteGuard(target, store);
    // The result arriving as a JPEG would land on cat.jpg: refused at the write.
    await expect(checkWriteTarget(join(project.root, 'cat.jpg'), guard)).rejects.toMatchObject({
      code: 'E_WRITE_REFUSED',
      message: `refusing to write ${join(project.root, 'cat.jpg')}: it is a file that was there before the edit`,
      hint: expect.stringMatching(/^pass another -o: .*unless --overwrite/),
    });
    // The input image itself at that other extension is named as the input image.
    const fromJpg = await editWriteGuard({ ...target, input: join(project.root, 'cat.jpg') }, store);
    await expect(checkWriteTarget(join(project.root, 'cat.jpg'), fromJpg)).rejects.toMatchObject({
      message: `refusing to write ${join(project.root, 'cat.jpg')}: it is the edit's input image`,
    });
  });

  it('a file kontext never wrote is left as it is (exit 65, no request); overwrite replaces it', async () => {
    const mine = join(project.root, 'cat-edited.png');
    await writeFile(mine, 'my own drawing\n');
    const refused = edit({ output: 'cat-edited.png', seed: 1 });
    await expect(refused).rejects.toMatchObject({ exitCode: 65, code: 'E_OUTPUT_CHANGED' });
    await expect(refused).rejects.toThrow(/cat-edited\.png already exists \(sha256 [0-9a-f]{12}\)/);
    expect(rig.submits()).toHaveLength(0);
    expect(await readFile(mine, 'utf8')).toBe('my own drawing\n');

    const replaced = await edit({ output: 'cat-edited.png', seed: 1, overwrite: true });
    expect(replaced.exitCode).toBe(0);
    expect(rig.submits()).toHaveLength(1);
    expect(await readFile(mine, 'utf8')).not.toBe('my own drawing\n');
  });

  it('-o through a file (a part of the path is not a folder) is exit 73 naming the path, no request', async () => {
    await writeFile(join(project.root, 'notes'), 'a file, not a folder\n');
    for (const output of ['notes/cat.png', 'notes/sub/cat.png', 'notes/sub/']) {
      const refused = edit({ output, seed: 1 });
      await expect(refused).rejects.toMatchObject({ exitCode: 73, code: 'E_OUTPUT_WRITE' });
      await expect(refused).rejects.toThrow(join(project.root, 'notes'));
    }
    expect(rig.submits()).toHaveLength(0);
  });

  it('an output an earlier edit wrote is kept too (exit 65, no request); overwrite replaces it', async () => {
    expect((await edit({ output: 'cat.png', seed: 1 })).exitCode).toBe(0);
    const before = await sha256File(join(project.root, 'cat.png'));
    const refused = edit({ output: 'cat.png', seed: 2 });
    await expect(refused).rejects.toMatchObject({ exitCode: 65, code: 'E_OUTPUT_CHANGED' });
    await expect(refused).rejects.toThrow(`${join(project.root, 'cat.png')} already exists`);
    await expect(refused).rejects.toMatchObject({ hint: expect.stringContaining('--overwrite') });
    expect(rig.submits()).toHaveLength(1);
    expect(await sha256File(join(project.root, 'cat.png'))).toBe(before);
    // The same edit again (its cache hit) is up to date, not refused.
    expect((await edit({ output: 'cat.png', seed: 1 })).exitCode).toBe(0);
    expect((await edit({ output: 'cat.png', seed: 2, overwrite: true })).exitCode).toBe(0);
    expect(rig.submits()).toHaveLength(2);
    expect(await sha256File(join(project.root, 'cat.png'))).not.toBe(before);
  });
});

describe('kontext edit: any file at the output path but the one it writes is kept', () => {
  it('a copy of another output (bytes the cache holds) at the output path is refused before paying', async () => {
    expect((await edit({ output: 'a.png', seed: 1 })).exitCode).toBe(0);
    const copy = join(project.root, 'b.png');
    await copyFile(join(project.root, 'a.png'), copy);
    const sha = await sha256File(copy);
    const refused = edit({ output: 'b.png', seed: 2 });
    await expect(refused).rejects.toMatchObject({ exitCode: 65, code: 'E_OUTPUT_CHANGED' });
    await expect(refused).rejects.toThrow(/b\.png already exists \(sha256 [0-9a-f]{12}\); it was left/);
    expect(rig.submits()).toHaveLength(1);
    expect(await sha256File(copy)).toBe(sha);
  });

  it('a file put at the output path while the edit runs is kept (exit 65); the result stays cached', async () => {
    const mine = join(project.root, 'cat.png');
    const onStart = () => writeFileSync(mine, 'drawn meanwhile\n');
    expect((await edit({ output: 'cat.png', seed: 3, onStart })).exitCode).toBe(65);
    expect(await readFile(mine, 'utf8')).toBe('drawn meanwhile\n');
    // --overwrite replaces it from the cache: the request was paid once.
    expect((await edit({ output: 'cat.png', seed: 3, overwrite: true })).exitCode).toBe(0);
    expect(rig.submits()).toHaveLength(1);
    expect(await readFile(mine, 'utf8')).not.toBe('drawn meanwhile\n');
  });

  it("an earlier edit's result put back at the output path while the edit runs is kept as well", async () => {
    expect((await edit({ output: 'cat.png', seed: 5 })).exitCode).toBe(0);
    const mine = join(project.root, 'cat.png');
    const sha = await sha256File(mine);
    await rename(mine, join(project.root, 'kept.png'));
    // Checked before paying: nothing there. Then the file kontext wrote there (its marker kept) comes back.
    const onStart = () => renameSync(join(project.root, 'kept.png'), mine);
    expect((await edit({ output: 'cat.png', seed: 6, onStart })).exitCode).toBe(65);
    expect(await sha256File(mine)).toBe(sha);
    expect(rig.submits()).toHaveLength(2);
  });

  it('a file holding what the edit writes (its cache hit) is no hand edit, even with its marker gone', async () => {
    expect((await edit({ output: 'cat.png', seed: 4 })).exitCode).toBe(0);
    await rm(join(project.cacheDir, 'written'), { recursive: true, force: true });
    expect((await edit({ output: 'cat.png', seed: 4 })).exitCode).toBe(0);
    expect(rig.submits()).toHaveLength(1);
  });
});
