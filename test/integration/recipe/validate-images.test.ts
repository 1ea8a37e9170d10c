/**
 * `kontext validate` said ok for a recipe whose source `run --dry-run` refuses (exit 65): a PNG
 * whose header declares 40000x40000 pixels (a decompression bomb), a PNG cut short. validate now
 * reads each local source's head and tail as the run's preflight does (no CRC pass) and says
 * why, at the source's line, exit 65.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { createProject, recipeYaml, testRuntime, type Project } from '../../helpers/run-fixtures.js';
import { bombPng, pngHolding, truncatedPng } from '../../helpers/test-images.js';

let project: Project | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

async function validate(image: Buffer): Promise<{ code: number; stdout: string; stderr: string }> {
  const yaml = recipeYaml([['hat', 'Keep the face unchanged. Add a red hat.']]).replace(
    'assets/portrait-astronaut.jpg',
    'assets/photo.png',
  );
  project = await createProject(yaml);
  await writeFile(join(project.root, 'assets', 'photo.png'), image);
  const rt = testRuntime(project.root);
  const code = await main(['validate', project.recipe], { rt });
  return { code, stdout: rt.stdout.text(), stderr: rt.stderr.text() };
}

describe('validate reads the source images a run would host', () => {
  it('a 40000x40000 PNG bomb: exit 65 at the source, naming its declared size', async () => {
    const r = await validate(bombPng());
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(
      /recipe\.yml:\d+:\d+: .*sources\.photo: "assets\/photo\.png": its header declares 40000x40000 pixels/,
    );
    expect(r.stdout).not.toMatch(/ok/);
  });

  it('a PNG cut short: exit 65, not a whole image', async () => {
    const r = await validate(truncatedPng());
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/sources\.photo: "assets\/photo\.png": not a whole image/);
  });

  it('a whole PNG of a sane size: ok', async () => {
    const r = await validate(pngHolding('fine', 64, 48));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/: ok \(1 node\)/); // not "1 nodes" (walk-r)
  });
});
