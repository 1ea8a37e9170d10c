/**
 * A hosting command's URL records are keyed by where it runs and what it runs (walk-af 6): two
 * projects sharing the per-user cache, each with its own `./scripts/upload.sh`, each run their own
 * script; an edited script hosts anew, in the same hosting too (a watch session keeps one).
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHosting, type Hosting } from '../../../src/hosting/index.js';
import { createTestProject, testRuntime, type TestProject } from './project.js';

let sharedCache: string;
let projects: TestProject[];

beforeEach(async () => {
  sharedCache = await mkdtemp(join(tmpdir(), 'kontext-shared-cache-'));
  projects = [await createTestProject(), await createTestProject()];
});

afterEach(async () => {
  await Promise.all(projects.map((p) => p.cleanup()));
  await rm(sharedCache, { recursive: true, force: true });
});

/** The project's own upload script: prints a URL naming `tag`. */
async function script(project: TestProject, tag: string): Promise<void> {
  const path = join(project.root, 'scripts', 'upload.sh');
  await mkdir(join(project.root, 'scripts'), { recursive: true });
  await writeFile(path, `#!/bin/sh\necho "https://cdn.example.test/${tag}/$KONTEXT_SHA256.$KONTEXT_EXT"\n`);
  await chmod(path, 0o755);
}

function hosting(project: TestProject, command: string | readonly string[]): Hosting {
  const rt = testRuntime({ PATH: process.env['PATH'] ?? '/usr/bin:/bin' });
  return createHosting({ mode: 'command', command }, { rt, cacheDir: sharedCache, projectRoot: project.root });
}

describe('command hosting records, per project and script', () => {
  for (const command of ['./scripts/upload.sh', ['sh', 'scripts/upload.sh']]) {
    it(`${JSON.stringify(command)}: each project runs its own script; an edited one hosts anew`, async () => {
      const [a, b] = projects as [TestProject, TestProject];
      await script(a, 'a');
      await script(b, 'b');
      const imgA = await a.image('x.png', 'same bytes');
      const imgB = await b.image('x.png', 'same bytes');
      expect(imgA.sha256).toBe(imgB.sha256);

      const inA = hosting(a, command);
      expect(await inA.urlFor(imgA)).toMatchObject({ url: expect.stringContaining('/a/'), via: 'command' });
      expect(await hosting(b, command).urlFor(imgB)).toMatchObject({
        url: expect.stringContaining('/b/'),
        via: 'command',
      });
      // Unchanged: reused.
      expect(await inA.urlFor(imgA)).toMatchObject({ url: expect.stringContaining('/a/'), via: 'cache' });
      // Edited, the same hosting: the new script runs.
      await script(a, 'a2');
      expect(await inA.urlFor(imgA)).toMatchObject({ url: expect.stringContaining('/a2/'), via: 'command' });
      expect((await inA.describe(imgA)).action).toBe('reuse');
    });
  }
});
