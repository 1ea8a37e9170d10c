/**
 * `run --watch --serve` on a teammate's clone whose results are only in the shared remote cache
 * (one emulator counting the paid submits, one s3rver): the live page shows those cells "in the
 * remote cache", as `kontext report` does, not "not run yet" (asked once, not on every rebuild; the
 * first page, built at once, is pushed again when the remote has answered);
 * `--no-remote` shows local state only;
 * the watch run takes the remote's results (downloaded, nothing paid) and the page then shows
 * them up to date.
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { startReportServer, type ReportData } from '../../src/index.js';
import { spawnCli } from '../helpers/cli-spawn.js';
import { useRemoteE2e } from '../helpers/remote-e2e.js';
import { testRuntime, until } from '../helpers/run-fixtures.js';

const YAML = `version: 1
name: test
provider: runcomfy
hosting: { mode: inline }
sources:
  shots: assets/*.jpg
passes:
  - id: backdrop
    prompt: Keep the subject unchanged. Replace the background with a pale blue studio backdrop.
  - id: frame
    prompt: Keep the subject and the backdrop unchanged. Add a thin white frame.
`;
const NODES = 8; // four photos, two passes

const { s3, env, kontext, submits, puts, project, clone } = useRemoteE2e(YAML, 'watch');

/** The data embedded in the page served at `url`. */
function pageData(url: string): Promise<ReportData> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: u.port, path: u.pathname, headers: { host: u.host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        const json = /id="kontext-data">([\s\S]*?)<\/script>/.exec(body)?.[1];
        if (json === undefined) reject(new Error(`no data in the page (${res.statusCode}): ${body.slice(0, 200)}`));
        else resolve(JSON.parse(json) as ReportData);
      });
    });
    req.once('error', reject);
    req.end();
  });
}

describe('run --watch --serve with a remote cache', () => {
  it('the page shows results only the remote holds as "in the remote cache"; the run takes them, unpaid', async () => {
    const a = await project();
    expect((await kontext(a, ['run', 'recipe.yml'])).code).toBe(0);
    expect(submits()).toBe(NODES);
    const b = await clone(a);
    const [paidBefore, putsBefore] = [submits(), puts()];

    // The page before the watch run has taken anything: built at once from local state, and
    // again when the remote's answers are in (the first page never waits for the remote).
    const rt = testRuntime(b.root, env(b));
    for (const [noRemote, state] of [
      [false, 'remote'],
      [true, 'not-run'],
    ] as const) {
      const server = await startReportServer(b.recipe, { port: 0, noRemote }, { rt });
      try {
        await until(async () => (await pageData(server.url)).counts[state] === NODES, 20_000, `the page: ${state}`);
        const data = await pageData(server.url);
        expect(data.nodes.map((n) => n.state)).toEqual(Array(NODES).fill(state));
        expect(data.counts[state]).toBe(NODES);
        // Rebuilt on every run event: what the remote answered is remembered, not asked again.
        const reads = (): number => s3().requests.filter((r) => r.method !== 'PUT').length;
        const before = reads();
        for (let i = 0; i < 5; i++) await server.refresh();
        expect(reads()).toBe(before);
      } finally {
        await server.close();
      }
    }

    const c = spawnCli(['run', '--watch', '--serve', '--port', '0', 'recipe.yml', '--json'], {
      cwd: b.root,
      env: env(b),
    });
    try {
      await until(
        () => c.output().includes('"type":"run-summary"'),
        60_000,
        'the first run',
        () => c.output(),
      );
      const summary = c
        .output()
        .split('\n')
        .find((l) => l.includes('"type":"run-summary"'));
      expect(JSON.parse(summary ?? '{}')).toMatchObject({ submitted: 0, failed: 0, exit_code: 0 });
      const url = /review sheet for .*: (http:\/\/127\.0\.0\.1:\d+\/report\/)/.exec(c.output())?.[1] ?? '';
      await until(
        async () => (await pageData(url)).counts['up-to-date'] === NODES,
        20_000,
        'the page showing the taken results',
      );
    } finally {
      c.child.kill('SIGINT');
    }
    expect((await c.done).code).toBe(130);
    // Nothing paid, nothing uploaded: every result came from the remote.
    expect([submits(), puts()]).toEqual([paidBefore, putsBefore]);
  }, 180_000);
});
