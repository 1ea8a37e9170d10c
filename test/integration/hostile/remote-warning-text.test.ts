/**
 * `kontext status` and `kontext clean` print the library's warnings escaped, as `run` and `report`
 * do: a remote cache's error text is a server's, and an S3 endpoint answering
 * `<Message>no\e[2J…</Message>` must not clear the terminal. Before, both wrote it raw.
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { ASSETS, testRuntime } from '../../helpers/run-fixtures.js';

const RECIPE =
  'version: 1\nname: r\nprovider: emulator\nsources:\n  cat: cat.jpg\n' +
  'passes:\n  - id: hat\n    prompt: Keep it unchanged. Add a hat.\n';
let root = '';
let server: Server;
let endpoint = '';
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'kontext-remote-text-'));
  await mkdir(path.join(root, '.git'));
  await copyFile(path.join(ASSETS, 'pet-chelsea.jpg'), path.join(root, 'cat.jpg'));
  await writeFile(path.join(root, 'r.yml'), RECIPE);
  server = createServer((_req, res) => {
    res.writeHead(400, { 'content-type': 'application/xml' });
    res.end('<?xml version="1.0"?><Error><Code>InvalidArgument</Code><Message>no\u001b[2J</Message></Error>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(root, { recursive: true, force: true });
});

describe("a remote cache's error text", () => {
  it.each([['status'], ['clean', '--dry-run']])('%s prints it escaped', async (...command) => {
    if (command[0] === 'clean') {
      // clean asks the remote about the nodes a run dropped: a node run, then its pass renamed.
      expect(await main(['run', 'r.yml'], { rt: testRuntime(root) })).toBe(0);
      await writeFile(path.join(root, 'r.yml'), RECIPE.replace('id: hat', 'id: cap').replace('a hat', 'a cap'));
    }
    const rt = testRuntime(root, {
      KONTEXT_REMOTE_CACHE: 's3://bkt/p',
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ACCESS_KEY_ID: 'test-key',
      AWS_SECRET_ACCESS_KEY: 'test-secret',
      AWS_REGION: 'us-east-1',
    });
    const code = await main([...command, 'r.yml'], { rt });
    expect(code).toBe(0);
    const err = rt.stderr.text();
    expect(err).toMatch(/^warning: remote cache s3:\/\/bkt\/p is not usable \(.*no\\x1b\[2J/m);
    expect(err).not.toContain('\u001b');
  });
});
