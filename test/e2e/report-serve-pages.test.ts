/**
 * The watch server's pages as a recipe changes under them, in-process against a real run on the
 * emulator: a recipe saved invalid keeps the last good plan and says why; one that cannot be used
 * yet (a source not there) is served and filled in once it can; a page that never reads its event
 * stream gets only the newest model when it reads. And the CLI's `--serve --port` errors: a port
 * in use (exit 69, nothing written), two recipes (exit 64).
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startReportServer, writePick, type ReportData } from '../../src/index.js';
import { cli, cliEnv, ensureBuilt } from '../helpers/cli-spawn.js';
import { ASSETS, createProject, recipeYaml, runIn, testRuntime, until } from '../helpers/run-fixtures.js';
import { call, cleanUp, dataOf, held, setUp } from './report-serve-kit.js';

afterEach(cleanUp);

describe('report server pages (run --watch --serve)', () => {
  it('a recipe saved invalid: the page keeps the last good plan and says why, once, until it is fixed', async () => {
    const { p, s, host } = await setUp();
    const page = async (): Promise<ReportData> => dataOf((await call(s.url, '/report/', { headers: { host } })).body);
    const good = await page();
    expect(good.errors).toBeUndefined();
    const text = await readFile(p.recipe, 'utf8');
    await writeFile(p.recipe, text.replace('variants: 2', 'variants: 2\n    seed: -1'));
    // Every run event rebuilds the page; each failed rebuild used to add its error again.
    for (let i = 0; i < 3; i++) await s.refresh();
    const invalid = await page();
    expect(invalid.errors).toEqual([
      `${p.recipe}:12:11: passes[1].seed: seed must be an integer in 0..4294967295, got -1`,
    ]);
    expect(invalid.warnings).toEqual(good.warnings);
    expect(invalid.nodes).toEqual(good.nodes);
    // The watch session's own report of the problems is what the page shows, once.
    const seed = ['recipe.yml:9:11: seed must be >= 0'];
    s.onEvent({ type: 'watch-error', t: 1, recipe: p.recipe, kind: 'invalid', problems: seed });
    await s.refresh();
    expect((await page()).errors).toEqual(seed);
    expect((await page()).stopped).toBeUndefined();
    await writeFile(p.recipe, text);
    s.onEvent({
      type: 'watch-cycle',
      t: 2,
      recipe: p.recipe,
      changed: [p.recipe],
      to_run: [],
      in_flight: 0,
      cached: 3,
      abandoned: 0,
    });
    await s.refresh();
    const fixed = await page();
    expect(fixed.errors).toBeUndefined();
    expect(fixed.nodes.map((n) => n.state)).toEqual(['up-to-date', 'up-to-date', 'up-to-date']);
  });

  it('a recipe that cannot be used yet at start (a source not there yet): served, filled in once it can', async () => {
    const yaml = recipeYaml([['sky', 'Keep the face unchanged. Make the sky orange.']]).replace(
      'assets/portrait-astronaut.jpg',
      'later/photo.jpg',
    );
    const p = (held.project = await createProject(yaml));
    // As `run --watch` without --serve goes on watching (the watch tests), the server starts.
    const s = (held.server = await startReportServer(p.recipe, { port: 0 }, { rt: testRuntime(p.root) }));
    await s.ready;
    const host = new URL(s.url).host;
    const page = async (): Promise<ReportData> => dataOf((await call(s.url, '/report/', { headers: { host } })).body);
    const waiting = await page();
    expect(waiting.errors).toEqual([expect.stringMatching(/recipe\.yml:5:10: sources\.photo: file not found/)]);
    expect([waiting.passes, waiting.nodes]).toEqual([[], []]);
    await mkdir(join(p.root, 'later'));
    await copyFile(join(ASSETS, 'portrait-astronaut.jpg'), join(p.root, 'later', 'photo.jpg'));
    await s.refresh();
    const ready = await page();
    expect(ready.errors).toBeUndefined();
    expect(ready.nodes.map((n) => [n.id, n.state])).toEqual([['sky', 'not-run']]);
  });

  it('a page that cannot be written (out/<name>/report a file): said apart, picks still written', async () => {
    const p = (held.project = await createProject(
      recipeYaml([
        ['sky', 'Keep the face unchanged. Make the sky orange.'],
        ['bag', 'Keep the face unchanged. Add a brown bag.', 'variants: 2'],
      ]),
    ));
    await runIn(p);
    const rt = testRuntime(p.root);
    const pick = (recipe: string, node: string, expectSha256: string): Promise<unknown> =>
      writePick(recipe, node, { rt, expectSha256 });
    const s = (held.server = await startReportServer(p.recipe, { port: 0, pick }, { rt }));
    await s.ready;
    await rm(join(p.outDir, 'report'), { recursive: true, force: true });
    await writeFile(join(p.outDir, 'report'), 'not a folder');
    await s.refresh();
    const host = new URL(s.url).host;
    const html = (await call(s.url, '/report/', { headers: { host } })).body;
    const data = dataOf(html);
    // Not the recipe's problem (before: in errors, "cannot be used as saved", every pick refused).
    expect(data.errors).toBeUndefined();
    expect(data.buildErrors).toEqual([expect.stringMatching(/out\/test\/report: it is not a folder/)]);
    expect(data.nodes.map((n) => n.id)).toEqual(['sky', 'bag#1', 'bag#2']);
    const token = /name="kontext-token" content="([0-9a-f]+)"/.exec(html)?.[1] ?? '';
    const sha = createHash('sha256')
      .update(await readFile(p.recipe))
      .digest('hex');
    const headers = { host, origin: `http://${host}`, 'content-type': 'application/json', 'x-kontext-token': token };
    const body = JSON.stringify({ node: 'bag#2', expectSha256: sha });
    const r = await call(s.url, '/api/pick', { method: 'POST', headers, body });
    expect([r.status, r.body.trim()]).toEqual([200, 'picked']);
    expect(await readFile(p.recipe, 'utf8')).toMatch(/\n {4}pick: 2\n/);

    // Saved since (the pick itself): the page cannot show it, so it keeps its sha256; a pick from
    // it is refused saying why, not "look again, then pick again" (which could never succeed).
    const again = JSON.stringify({ node: 'bag#1', expectSha256: sha });
    const stale = await call(s.url, '/api/pick', { method: 'POST', headers, body: again });
    expect(stale.status).toBe(409);
    expect(stale.body.trim().split('\n')).toEqual([
      'recipe.yml changed on disk since this page was built, and the page cannot be updated: nothing written. ' +
        'Fix this, then pick again:',
      expect.stringMatching(/out\/test\/report: it is not a folder/),
    ]);
  });

  it('a page that never reads its events is not queued every model: it gets the newest when it reads', async () => {
    // A big model (a long prompt, never run: no images to make) so the socket's buffers fill fast.
    const long = `Keep the face unchanged. ${'Add a small red dot. '.repeat(5000)}`;
    const p = (held.project = await createProject(recipeYaml([['bag', long, 'variants: 2']])));
    const s = (held.server = await startReportServer(p.recipe, { port: 0 }, { rt: testRuntime(p.root) }));
    await s.ready;
    const u = new URL(s.url);
    const socket = connect(Number(u.port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`GET /events HTTP/1.0\r\nhost: ${u.host}\r\n\r\n`);
    socket.pause(); // a page that never reads
    const updates = 80;
    for (let i = 0; i < updates; i++) {
      if (i === updates - 1) s.onEvent({ type: 'node-start', t: 1, node: 'bag#2', reason: 'new' });
      await s.refresh();
    }
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (text += d));
    socket.resume();
    const frames = (): string[] => text.split('event: model\n').slice(1);
    const newest = (): ReportData | null => {
      // A frame ends at its blank line; a ping may follow it (after a slow host's 80 refreshes).
      const last = frames().at(-1);
      const end = last?.indexOf('\n\n') ?? -1;
      return last && end >= 0 ? (JSON.parse(last.slice('data: '.length, end)) as ReportData) : null;
    };
    await until(() => newest()?.nodes.find((n) => n.id === 'bag#2')?.state === 'running', 10_000, 'the newest model');
    socket.destroy();
    // Each update is ~150 KB: every one queued for this socket would be 12 MB held by the server
    // (and all 81 models sent once it reads); the socket's own buffers take a few MB.
    expect(frames().length).toBeGreaterThan(1);
    expect(frames().length).toBeLessThan(updates * 0.75);
  });

  it('run --watch --serve --port N with N in use: one line, exit 69, nothing written', async () => {
    await ensureBuilt();
    const p = (held.project = await createProject(
      recipeYaml([['sky', 'Keep the face unchanged. Make the sky orange.']]),
    ));
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as AddressInfo).port;
      const r = await cli(['run', '--watch', '--serve', '--port', String(port), p.recipe], {
        cwd: p.root,
        env: cliEnv(p.root),
      });
      expect(r.code, r.stderr).toBe(69);
      expect(r.stderr).toBe(
        `kontext: cannot serve the report on 127.0.0.1:${port}: listen EADDRINUSE: address already in use ` +
          `127.0.0.1:${port} (choose another --port, or leave it out for a free one)\n`,
      );
      // Not even the report: the port is taken before anything is built.
      expect(await readdir(p.root)).not.toContain('out');
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  }, 60_000);

  it('run --watch --serve --port N with two recipes: a usage error before anything starts (exit 64)', async () => {
    await ensureBuilt();
    const p = (held.project = await createProject(
      recipeYaml([['sky', 'Keep the face unchanged. Make the sky orange.']]),
    ));
    await writeFile(join(p.root, 'second.yml'), recipeYaml([['hat', 'Keep the face unchanged. Add a hat.']]));
    const args = ['run', '--watch', '--serve', '--port', '4789', p.recipe, join(p.root, 'second.yml')];
    const r = await cli(args, { cwd: p.root, env: cliEnv(p.root) });
    expect(r.code, r.stderr).toBe(64);
    expect(r.stderr).toMatch(/--port serves one recipe/);
    expect(r.stderr).not.toMatch(/review sheet for/);
    expect(await readdir(p.root)).not.toContain('out');
  }, 60_000);
});
