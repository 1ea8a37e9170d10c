/**
 * `hosting: { mode: s3 }` with credentials the AWS SDK's chain found (a profile in ~/.aws, not
 * the environment): a hostile or broken S3 endpoint whose error echoes the request (the
 * Authorization header, the session token) leaks none of them into the output, as with keys
 * from the environment (secrets.test.ts) and as the remote cache does (remote/chain-secrets).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../../src/index.js';
import { cli, cliEnv, ensureBuilt } from '../../helpers/cli-spawn.js';
import { createProject, recipeYaml, type Project } from '../../helpers/run-fixtures.js';
import { leakedCredentials, writeCanaryProfile } from '../../helpers/s3-server.js';

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

/** No object is there (HEAD 404); every upload is refused with a message echoing what was sent. */
async function echoingS3(): Promise<{ url: string; puts: () => number }> {
  let puts = 0;
  server = createServer((req, res) => {
    req.resume();
    if (req.method === 'HEAD') {
      res.writeHead(404).end();
      return;
    }
    puts++;
    const echo = `token ${String(req.headers['x-amz-security-token'])} auth ${req.headers.authorization ?? ''}`;
    res.writeHead(403, { 'content-type': 'application/xml' });
    res.end(`<Error><Code>AccessDenied</Code><Message>${echo}</Message></Error>`);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, puts: () => puts };
}

describe('s3 hosting with credentials from the SDK chain', () => {
  it('a server echoing the request in its error leaks no key id, secret or session token', async () => {
    emulator = await startEmulator({ queueMs: 10, runMs: 10 });
    project = await createProject(
      recipeYaml([['sky', 'Keep the face unchanged. Make the sky orange.', 'from: photo', 'seed: 11']]).replace(
        'provider: emulator',
        'provider: runcomfy',
      ),
    );
    const s3 = await echoingS3();
    await writeCanaryProfile(project.root);
    const hosting = { mode: 's3', bucket: 'inputs', endpoint: s3.url, force_path_style: true, region: 'us-east-1' };
    await mkdir(join(project.root, '.config', 'kontext'), { recursive: true });
    await writeFile(join(project.root, '.config', 'kontext', 'config.json'), JSON.stringify({ hosting }));
    const env = cliEnv(project.root, {
      RUNCOMFY_MODEL_API_BASE: emulator.baseUrl,
      KONTEXT_ALLOW_HOSTS: '127.0.0.1',
      RUNCOMFY_TOKEN: 'test-token',
    });
    for (const json of [false, true]) {
      const r = await cli(['run', project.recipe, ...(json ? ['--json'] : [])], { cwd: project.root, env });
      const text = r.stdout + r.stderr;
      expect(r.code, text).not.toBe(0);
      // The upload reached the server with the chain's keys, and its echo reached the message.
      expect(s3.puts(), text).toBeGreaterThan(0);
      expect(text).toContain('AccessDenied');
      expect(text).toContain('Credential=');
      // Nor the signature: it authorizes only the request it signed, but that one for minutes.
      expect(text).toContain('Signature=***');
      expect(leakedCredentials(text)).toEqual([]);
    }
  }, 60_000);
});
