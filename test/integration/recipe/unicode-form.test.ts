/**
 * A named source written in one Unicode form and on disk in the other (`café.jpg` composed in
 * the recipe, decomposed on disk, as macOS tools and zip files leave it): macOS opens either,
 * Linux does not, so without help the recipe runs on the Mac that wrote it and is "file not
 * found" (exit 66) on a Linux checkout. It resolves to the file on disk (globs match either form
 * too); a name that exists as written wins.
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode, type RecipeError } from '../../../src/errors.js';
import { loadRecipe } from '../../../src/recipe/index.js';
import { createRuntime, type Runtime } from '../../../src/runtime.js';
import { ASSETS } from '../../helpers/run-fixtures.js';

const NFC = 'caf\u00e9';
const NFD = 'cafe\u0301';
let root = '';
let rt: Runtime;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'kontext-nfd-'));
  await mkdir(path.join(root, '.git'));
  rt = createRuntime({ cwd: root, env: { HOME: root } });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function recipe(spec: string): Promise<void> {
  const passes = 'passes:\n  - id: hat\n    prompt: Keep it unchanged. Add a hat.\n';
  await writeFile(path.join(root, 'r.yml'), `version: 1\nsources:\n  cat: "${spec}"\n${passes}`);
}

async function sourcePath(): Promise<string | undefined> {
  const loaded = await loadRecipe('r.yml', { rt });
  return loaded.sources[0]?.instances[0]?.path;
}

async function image(rel: string, asset = 'pet-chelsea.jpg'): Promise<string> {
  const file = path.join(root, rel);
  await mkdir(path.dirname(file), { recursive: true });
  await copyFile(path.join(ASSETS, asset), file);
  return file;
}

describe('a named source in another Unicode form than on disk', () => {
  it('NFC in the recipe, NFD on disk (file and folder): the file on disk', async () => {
    const onDisk = await image(`assets/${NFD}/${NFD}.jpg`);
    await recipe(`assets/${NFC}/${NFC}.jpg`);
    expect(await sourcePath()).toBe(onDisk);
  });

  it('NFD in the recipe, NFC on disk: the file on disk', async () => {
    const onDisk = await image(`assets/${NFC}.jpg`);
    await recipe(`assets/${NFD}.jpg`);
    expect(await sourcePath()).toBe(onDisk);
  });

  it('two folders in the other form with one as written between them: the file on disk', async () => {
    const onDisk = await image(`assets/${NFD}/2024/${NFD}/shot.jpg`);
    await recipe(`assets/${NFC}/2024/${NFC}/shot.jpg`);
    expect(await sourcePath()).toBe(onDisk);
    await recipe(`assets/${NFC}/2024/${NFC}/*.jpg`);
    expect(await sourcePath()).toBe(onDisk);
  });

  it('a name that exists as written wins over its other form', async () => {
    await image(`assets/${NFD}.jpg`);
    const asWritten = await image(`assets/${NFC}.jpg`, 'scene-rocket.jpg');
    await recipe(`assets/${NFC}.jpg`);
    expect(await sourcePath()).toBe(asWritten);
  });

  it('a glob through a folder, or matching a name, in the other form: the files on disk', async () => {
    const inFolder = await image(`assets/${NFD}/shot.jpg`);
    const named = await image(`assets/${NFD}-2.jpg`);
    await recipe(`assets/${NFC}/*.jpg`);
    expect(await sourcePath()).toBe(inFolder);
    await recipe(`assets/${NFC}-*.jpg`);
    expect(await sourcePath()).toBe(named);
  });

  it('a folder in the other form below a wildcard (assets/*/café/*.jpg, assets/**/café/*.jpg): found', async () => {
    const deep = await image(`assets/x/${NFD}/a.jpg`);
    await recipe(`assets/*/${NFC}/*.jpg`);
    expect(await sourcePath()).toBe(deep);
    await recipe(`assets/**/${NFC}/*.jpg`);
    expect(await sourcePath()).toBe(deep);
    const last = await image(`other/y/${NFD}.jpg`);
    await recipe(`other/*/${NFC}.jpg`);
    expect(await sourcePath()).toBe(last);
  });

  it('still missing when no form of it is there: exit 66', async () => {
    await image('assets/other.jpg');
    await recipe(`assets/${NFC}.jpg`);
    const e = await loadRecipe('r.yml', { rt }).then(
      () => null,
      (x: unknown) => x as RecipeError,
    );
    expect(e?.exitCode).toBe(ExitCode.NO_INPUT);
  });
});
