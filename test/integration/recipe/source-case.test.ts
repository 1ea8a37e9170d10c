/**
 * Two source files whose paths differ only in case or Unicode form, on a real disk that holds
 * both (this one): `kontext validate` refuses them, exit 65, naming both files at the source that
 * names the second. A clone on macOS, Windows or an exFAT disk holds one file there, so its runs
 * found other instances than the lock names, and refused (hand edits) or paid again.
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatProblem } from '../../../src/errors.js';
import { validateRecipeFile } from '../../../src/recipe/index.js';
import { createRuntime } from '../../../src/runtime.js';
import { ASSETS } from '../../helpers/run-fixtures.js';

let root = '';
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'kontext-case-'));
  await mkdir(path.join(root, '.git'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

/** Example images at these paths (relative to the project). */
async function images(...files: string[]): Promise<void> {
  for (const [i, f] of files.entries()) {
    await mkdir(path.dirname(path.join(root, f)), { recursive: true });
    const from = i % 2 === 0 ? 'portrait-astronaut.jpg' : 'pet-chelsea.jpg';
    await copyFile(path.join(ASSETS, from), path.join(root, f));
  }
}

/** The errors (exit 65) of a recipe with these `sources:` lines, as printed. */
async function problemsFor(sources: string): Promise<string[]> {
  await writeFile(
    path.join(root, 'r.yml'),
    `version: 1\nsources:\n${sources}passes:\n  - id: hat\n    prompt: Keep it unchanged. Add a hat.\n`,
  );
  const result = await validateRecipeFile('r.yml', { rt: createRuntime({ cwd: root, env: { HOME: root } }) });
  return result.problems.filter((p) => p.severity === 'error').map(formatProblem);
}

const HINT = 'macOS, Windows and exFAT disks hold them as one file';

describe('source files differing only in case', () => {
  it('a glob matching `Photo.jpg` and `photo.jpg`: exit 65 at the glob, both files named', async () => {
    await images('shots/Photo.jpg', 'shots/photo.jpg', 'shots/other.jpg');
    const lines = await problemsFor('  shots: shots/*.jpg\n');
    expect(lines).toEqual([
      'r.yml:3:10: sources.shots: source "shots" names "shots/photo.jpg", which differs from "shots/Photo.jpg" ' +
        `only in case or Unicode form (${HINT}: a clone there has only one of them, ` +
        'and its runs refuse or pay again; rename one)',
    ]);
  });

  it('two sources naming folders that differ only in case: the second source, naming the first', async () => {
    await images('Assets/a.jpg', 'assets/a.jpg');
    const lines = await problemsFor('  one: Assets/a.jpg\n  two: assets/a.jpg\n');
    expect(lines.filter((l) => l.includes(HINT))).toEqual([
      expect.stringContaining(
        'r.yml:4:8: sources.two: source "two" names "assets/a.jpg", which differs from "Assets/a.jpg" (source "one")',
      ),
    ]);
  });

  it('names in NFC and NFD (one file on a Mac) collide too', async () => {
    await images('shots/caf\u00e9.jpg', 'shots/cafe\u0301.jpg');
    const lines = await problemsFor('  shots: shots/*.jpg\n');
    expect(lines.filter((l) => l.includes(HINT))).toHaveLength(1);
  });

  it('holds: one file named by two sources, and one name in two folders', async () => {
    await images('shots/photo.jpg', 'more/Photo.jpg');
    expect(await problemsFor('  a: shots/photo.jpg\n  b: shots/photo.jpg\n  c: more/Photo.jpg\n')).toEqual([
      expect.stringContaining('the first pass "hat" has no from:'),
    ]);
  });
});
