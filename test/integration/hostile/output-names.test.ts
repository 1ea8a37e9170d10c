/**
 * Output names a stranger's file names cannot break: a glob instance named after a very long
 * file still gets an output (and a temp beside it) under the 255-byte name limit, before anything
 * is paid for.
 */
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatProblem, type RecipeError } from '../../../src/errors.js';
import { createProject, runIn, summaryOf, type Project } from '../../helpers/run-fixtures.js';

const GLOB = `version: 1
name: test
provider: emulator
sources:
  shots: shots/*.jpg
passes:
  - id: tint
    prompt: "Tint the whole image blue"
    variants: 2
`;

let project: Project | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

async function projectWith(names: readonly string[]): Promise<Project> {
  const p = await createProject(GLOB);
  await mkdir(join(p.root, 'shots'));
  for (const n of names) await copyFile(join(p.root, 'assets', 'portrait-astronaut.jpg'), join(p.root, 'shots', n));
  await rm(join(p.root, 'assets'), { recursive: true });
  return p;
}

describe('a source file with a 250-byte name', () => {
  it('runs: its outputs have short names, each file under 255 bytes with its -v<k> suffix', async () => {
    const long = `${'L'.repeat(249)}.jpg`;
    project = await projectWith([long, `${'L'.repeat(240)}x.jpg`]);
    const run = await runIn(project);
    expect(summaryOf(run).failed).toBe(0);
    const files = await project.outFiles();
    expect(files).toHaveLength(4);
    for (const f of files) expect(Buffer.byteLength(f.split('/').pop() ?? '')).toBeLessThanOrEqual(120);
    // Two names cut to one prefix keep apart by their hash.
    expect(new Set(files).size).toBe(4);
  });
});

describe('a pass id or save: name too long for a file system', () => {
  it('is refused before anything is paid (exit 65 at its line:col), not failed after (ENAMETOOLONG)', async () => {
    const long = `version: 1
name: test
provider: emulator
sources:
  photo: assets/portrait-astronaut.jpg
passes:
  - id: tint
    prompt: "Tint the whole image blue"
    save: final/${'s'.repeat(230)}.{ext}
  - id: ${'p'.repeat(70)}
    prompt: "Add a thin white frame around the image"
`;
    project = await createProject(long);
    const error = await runIn(project).catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: 65 });
    const lines = (error as RecipeError).problems.map(formatProblem);
    expect(lines.some((l) => /recipe\.yml:9:11: .*file name of 235 bytes \(at most 190\)/.test(l))).toBe(true);
    expect(lines.some((l) => /recipe\.yml:10:9: .*pass id "p+…" is 70 bytes long/.test(l))).toBe(true);
    expect(await project.outFiles().catch(() => [])).toEqual([]);
  });
});

describe('source names that one file system tells apart and another does not', () => {
  it('sanitizing and Windows device names: one file per node, on any file system', async () => {
    const names = ['Bag.jpg', 'café.jpg', 'cafe.jpg', 'a b.jpg', 'a_b.jpg', 'a#b.jpg', 'con.jpg', 'NUL.final.jpg'];
    project = await projectWith(names);
    await project.writeRecipe(GLOB.replace('    variants: 2\n', '    save: final/{source}.{ext}\n'));
    const run = await runIn(project);
    expect(summaryOf(run).failed).toBe(0);
    const files = await project.outFiles();
    expect(files.filter((f) => f.startsWith('out/test/tint/'))).toEqual(
      ['Bag.png', 'caf.png', 'cafe.png', 'a-b.png', 'a-b-2.png', 'a_b.png', 'con_.png', 'NUL_.final.png']
        .map((f) => `out/test/tint/${f}`)
        .sort(),
    );
    const all = [...files, ...(await readdir(join(project.root, 'final')))];
    // Compared as macOS and Windows compare names: still one file each.
    expect(new Set(all.map((f) => f.normalize('NFC').toLowerCase())).size).toBe(all.length);
  });

  // They ran once, as two instances; a clone on a Mac, on Windows or on an exFAT disk holds one
  // file under that name, finds other instances than the lock names, and refuses or pays again.
  it('two source files differing only in case or Unicode form are refused before paying (exit 65)', async () => {
    const cafe = 'café';
    project = await projectWith(['Bag.jpg', 'bag.jpg', `${cafe.normalize('NFC')}.jpg`, `${cafe.normalize('NFD')}.jpg`]);
    const error = await runIn(project).catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: 65 });
    const lines = (error as RecipeError).problems.map(formatProblem);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/"shots\/bag\.jpg", which differs from "shots\/Bag\.jpg" only in case or Unicode form/);
    expect(await project.outFiles().catch(() => [])).toEqual([]);
  });
});

describe('a save: path naming a folder', () => {
  it('`save: .` is refused at its line:col before paying (it was paid, then refused as a folder)', async () => {
    project = await createProject(
      GLOB.replace('shots/*.jpg', 'assets/portrait-astronaut.jpg').replace('    variants: 2\n', '    save: .\n'),
    );
    const error = await runIn(project).catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: 65 });
    expect((error as RecipeError).problems.map(formatProblem)).toEqual([
      expect.stringMatching(/recipe\.yml:9:11: passes\[0\]\.save: save path "\." names a folder, not a file/),
    ]);
  });
});

describe('a save: path with a Windows device name', () => {
  it('`save: final/aux/{source}.{ext}` is refused at its name before paying (it ran before)', async () => {
    project = await createProject(
      GLOB.replace('shots/*.jpg', 'assets/portrait-astronaut.jpg').replace(
        '    variants: 2\n',
        '    save: final/aux/{source}.{ext}\n',
      ),
    );
    const error = await runIn(project).catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: 65 });
    expect((error as RecipeError).problems.map(formatProblem)).toEqual([
      expect.stringMatching(/recipe\.yml:9:17: passes\[0\]\.save: save path .* names "aux", a device name on Windows/),
    ]);
    expect(await project.outFiles().catch(() => [])).toEqual([]);
  });
});
