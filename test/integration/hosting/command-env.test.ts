/**
 * A hosting command gets the user's environment (its own upload credentials work) but never
 * the image-edit API tokens: a command that dumps its environment to a file shows no token.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHosting } from '../../../src/hosting/index.js';
import { createTestProject, testRuntime, type TestProject } from './project.js';

let project: TestProject;
beforeEach(async () => {
  project = await createTestProject();
});
afterEach(() => project.cleanup());

describe('hosting command environment', () => {
  it('withholds API tokens and keeps the rest, AWS credentials included', async () => {
    const dump = join(project.root, 'env.txt');
    const secrets = {
      RUNCOMFY_TOKEN: 'rc-token-should-not-leak-1234',
      BFL_API_KEY: 'bfl-key-should-not-leak-1234',
      FAL_KEY: 'fal-key-should-not-leak-1234',
      REPLICATE_API_TOKEN: 'replicate-should-not-leak-1234',
    };
    const rt = testRuntime({
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      AWS_ACCESS_KEY_ID: 'AKIAUPLOADTOOL',
      AWS_SECRET_ACCESS_KEY: 'upload-tool-secret',
      RCLONE_CONFIG: '/home/me/rclone.conf',
      DUMP: dump,
      ...secrets,
    });
    const hosting = createHosting(
      { mode: 'command', command: 'env > "$DUMP"; echo "https://cdn.example.test/$KONTEXT_SHA256.$KONTEXT_EXT"' },
      { rt, cacheDir: project.cacheDir, projectRoot: project.root },
    );
    const img = await project.image('assets/photo.png', 'png bytes');
    const hosted = await hosting.urlFor(img);
    expect(hosted.url).toBe(`https://cdn.example.test/${img.sha256}.png`);
    const env = await readFile(dump, 'utf8');
    for (const [name, value] of Object.entries(secrets)) {
      expect(env).not.toContain(value);
      expect(env).not.toMatch(new RegExp(`^${name}=`, 'm'));
    }
    expect(env).toMatch(/^AWS_ACCESS_KEY_ID=AKIAUPLOADTOOL$/m);
    expect(env).toMatch(/^AWS_SECRET_ACCESS_KEY=upload-tool-secret$/m);
    expect(env).toMatch(/^RCLONE_CONFIG=\/home\/me\/rclone.conf$/m);
    expect(env).toMatch(new RegExp(`^KONTEXT_SHA256=${img.sha256}$`, 'm'));
    // A private copy of the checked bytes, named by them, not the user's file (walk-p).
    expect(env).toMatch(/^KONTEXT_FILE=.*\/kontext-host-[^/]+\/photo\.png$/m);
    expect(env).toMatch(/^KONTEXT_SOURCE=.*photo\.png$/m);
    await hosting.close?.();
  });
});
