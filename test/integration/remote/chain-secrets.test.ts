/**
 * Credentials the AWS SDK's chain found (a profile in ~/.aws, not the environment) are scrubbed
 * like keys from the environment: a hostile or broken S3 endpoint whose error echoes the request
 * (the Authorization header, the session token) leaks none of them into the output.
 */
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../../src/index.js';
import { cli, cliEnv, ensureBuilt } from '../../helpers/cli-spawn.js';
import { createProject, type Project } from '../../helpers/run-fixtures.js';
import { leakedCredentials, writeCanaryProfile } from '../../helpers/s3-server.js';
import { RECIPE } from './harness.js';

let emulator: EmulatorHandle | undefined;
let server: Server | undefined;
let project: Project | undefined;
beforeAll(ensureBuilt, 180_000);
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await emulator?.close();
  await project?.cleanup();
  server = emulator = project = undefined;
});

/** Answers every request with S3's SignatureDoesNotMatch, its message echoing what it was sent. */
async function echoingS3(): Promise<string> {
  server = createServer((req, res) => {
    req.resume();
    const echo = `token ${String(req.headers['x-amz-security-token'])} auth ${req.headers.authorization ?? ''}`;
    res.writeHead(403, { 'content-type': 'application/xml' });
    res.end(`<Error><Code>SignatureDoesNotMatch</Code><Message>${echo}</Message></Error>`);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('credentials from the SDK chain', () => {
  it('a server echoing the request in its error leaks no key id, secret or session token', async () => {
    emulator = await startEmulator({ queueMs: 10, runMs: 10 });
    project = await createProject(
      RECIPE.replace('provider: emulator', 'provider: runcomfy\nhosting: { mode: inline }'),
    );
    await writeCanaryProfile(project.root);
    const env = cliEnv(project.root, {
      RUNCOMFY_MODEL_API_BASE: emulator.baseUrl,
      KONTEXT_ALLOW_HOSTS: '127.0.0.1',
      RUNCOMFY_TOKEN: 'test-token',
      AWS_ENDPOINT_URL_S3: await echoingS3(),
      KONTEXT_REMOTE_CACHE: 's3://kontext-test/team',
    });
    for (const json of [false, true]) {
      // A fresh start each time, so the run looks its nodes up (GETs, whose error has a body).
      for (const dir of [project.cacheDir, join(project.root, 'out'), project.lockPath])
        await rm(dir, { recursive: true, force: true });
      const r = await cli(['run', project.recipe, ...(json ? ['--json'] : [])], { cwd: project.root, env });
      const text = r.stdout + r.stderr;
      expect(r.code, text).toBe(0);
      // The server saw the request (the chain's keys were used) and the run said it went on without it.
      expect(text).toContain('SignatureDoesNotMatch');
      expect(text).toContain('Credential=');
      // Nor the signature: it authorizes only the request it signed, but that one for minutes.
      expect(text).toContain('Signature=***');
      expect(leakedCredentials(text)).toEqual([]);
    }
  }, 60_000);
});
