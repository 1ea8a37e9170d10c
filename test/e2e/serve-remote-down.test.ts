/**
 * The watch server (`run --watch --serve`) with a remote cache that accepts connections and never
 * answers (a local TCP server on 127.0.0.1 that reads and never writes): the first page comes at
 * once, built without the remote (its look-ups wait in the background, a reply-header timeout
 * twice each), and the open page gets a new model (SSE) once the remote's answers are in.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startReportServer, type ReportData, type ReportServer } from '../../src/index.js';
import { type BlackHole, startBlackHole } from '../helpers/black-hole.js';
import { createProject, recipeYaml, testRuntime, until, type Project } from '../helpers/run-fixtures.js';
import { TEST_AWS_ENV } from '../helpers/s3-server.js';

let project: Project | undefined;
let server: ReportServer | undefined;
let hole: BlackHole | undefined;
afterEach(async () => {
  await server?.close();
  await hole?.close();
  await project?.cleanup();
  project = server = hole = undefined;
});

/** GET `path` with the server's own Host; the body as it arrives (an event stream never ends). */
function open(url: string, path: string): { body(): string; status(): number; close(): void } {
  const u = new URL(url);
  let body = '';
  let status = 0;
  const req = request({ host: '127.0.0.1', port: u.port, path, headers: { host: u.host } }, (res) => {
    status = res.statusCode ?? 0;
    res.setEncoding('utf8');
    res.on('data', (d: string) => (body += d));
  });
  req.on('error', () => undefined);
  req.end();
  return { body: () => body, status: () => status, close: () => req.destroy() };
}

const models = (stream: string): number => stream.split('event: model\n').length - 1;

describe('report server with a remote cache that never answers', () => {
  it('serves the first page at once without it, and pushes the page again when its answers are in', async () => {
    hole = await startBlackHole();
    const p = (project = await createProject(
      recipeYaml([
        ['sky', 'Keep the face unchanged. Make the sky orange.'],
        ['bag', 'Keep the face unchanged. Add a brown bag.'],
      ]),
    ));
    const rt = testRuntime(p.root, {
      ...TEST_AWS_ENV,
      AWS_ENDPOINT_URL_S3: hole.endpoint,
      KONTEXT_REMOTE_CACHE: 's3://team-bucket/kontext',
    });
    const s = (server = await startReportServer(p.recipe, { port: 0 }, { rt }));
    await s.ready;
    const page = open(s.url, '/report/');
    await until(() => page.body().includes('</html>'), 20_000, 'the first page');
    // Before, the first build waited for the remote: its look-ups had timed out (the client gave
    // up on the black hole's connections, 5 s each) before the page came. Now none has yet.
    expect(hole.abandoned()).toBe(0);
    expect(page.status()).toBe(200);
    const json = /id="kontext-data">([\s\S]*?)<\/script>/.exec(page.body())?.[1] ?? 'null';
    expect((JSON.parse(json) as ReportData).nodes.map((n) => n.state)).toEqual(['not-run', 'not-run']);

    const events = open(s.url, '/events');
    try {
      await until(() => models(events.body()) === 1, 5_000, 'the current model on the stream');
      expect(hole.requests()).toBeGreaterThan(0); // asked meanwhile, in the background
      await until(() => models(events.body()) >= 2, 30_000, 'the page pushed again', events.body);
      expect(hole.abandoned()).toBeGreaterThan(0); // after the remote's timeouts, not before
    } finally {
      events.close();
    }
  }, 60_000);
});
