/**
 * Secrets never leak: the AWS secret key, the session token, the API token and presigned query
 * strings appear in no event, no CLI output (plain, JSON, dry run, errors), no lock file and no
 * cache file — the hosted-URL records included, which keep no presigned URL (walk-o) and are
 * readable by the owner only.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostingConfig } from '../../../src/index.js';
import { TEST_AWS_ENV, type TestS3Server } from '../../helpers/s3-server.js';
import { s3Hosting, useS3Project, TEST_TOKEN, type Project } from './harness.js';
import { recipeYaml } from './recipe.js';

let s3: TestS3Server;
let project: Project;
/** Temporary credentials: the SDK signs with the token, and presigned URLs carry it. */
const SESSION_TOKEN = 'kontext-canary-session-token-4d1b';
useS3Project(
  (server, p) => {
    s3 = server;
    project = p;
  },
  { AWS_SESSION_TOKEN: SESSION_TOKEN },
);

const hosting = (): HostingConfig => s3Hosting(s3);

const SECRETS = [
  TEST_AWS_ENV.AWS_SECRET_ACCESS_KEY,
  SESSION_TOKEN,
  TEST_TOKEN,
  'X-Amz-Signature',
  'X-Amz-Credential',
  'X-Amz-Security-Token',
];

function leaks(text: string): string[] {
  return SECRETS.filter((s) => text.includes(s));
}

describe('secrets in a full s3-hosted run', () => {
  it('stay out of events, output, the lock and the cache, the 0600 hosted records included', async () => {
    const texts: [string, string][] = [];
    const cli = async (argv: string[], now?: () => number): Promise<number> => {
      const r = await project.cli(argv, now);
      texts.push([`${argv.join(' ')} (stdout)`, r.stdout], [`${argv.join(' ')} (stderr)`, r.stderr]);
      return r.code;
    };
    await project.writeRecipe(recipeYaml({ hosting: hosting() }));
    expect(await cli(['run', project.recipePath, '--json'])).toBe(0);
    expect(await cli(['run', project.recipePath, '--dry-run', '--explain', '--force', 'background'])).toBe(0);

    // The re-host path: the object vanished, the record still looks fresh.
    const [put] = s3.requests.filter((r) => r.method === 'PUT');
    await s3.deleteObject((put?.path ?? '').slice(`/${s3.bucket}/`.length));
    await project.writeRecipe(
      recipeYaml({
        hosting: hosting(),
        prompts: { background: 'Keep the person unchanged. Replace the background with a desert.' },
      }),
    );
    expect(await cli(['run', project.recipePath])).toBe(0);

    // A remote failure whose text carries a signed URL, and a storage error (rejected key).
    project.emulator.setScenario({
      faults: [
        {
          kind: 'remote-failed',
          error: {
            code: 'model_error',
            message: `bad input ${s3.endpoint}/x.jpg?X-Amz-Signature=feed&X-Amz-Credential=S3RVER`,
          },
        },
      ],
    });
    expect(await cli(['run', project.recipePath, '--force', 'raincoat', '--json'])).toBe(1);
    const denied = await project.run({
      env: { AWS_ACCESS_KEY_ID: 'AKIAWRONGWRONGWRONG' },
      now: () => Date.now() + 2 * 3600_000,
      options: { force: ['label'] },
    });
    texts.push(['denied events', JSON.stringify(denied.events)]);
    expect(denied.events.some((e) => e.type === 'node-failed' && e.code === 'E_HOSTING_DENIED')).toBe(true);

    for (const [what, text] of texts) expect({ what, leaks: leaks(text) }).toEqual({ what, leaks: [] });
    const files = await project.files({ skipImages: true });
    expect(files.size).toBeGreaterThan(3);
    expect([...files.keys()].some((f) => f.endsWith('.lock.json'))).toBe(true);
    for (const [file, text] of files) expect({ file, leaks: leaks(text) }).toEqual({ file, leaks: [] });

    const hostedDir = join(project.cacheDir, 'hosted');
    const records = (await readdir(hostedDir, { recursive: true, withFileTypes: true })).filter((d) => d.isFile());
    expect(records).toHaveLength(3);
    for (const d of records) {
      const path = join(d.parentPath, d.name);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect((await stat(d.parentPath)).mode & 0o077).toBe(0);
    }
    expect([...files.keys()].filter((f) => f.startsWith(join('.cache', 'kontext', 'hosted')))).toHaveLength(3);
  });
});
