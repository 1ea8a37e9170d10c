/**
 * The watch server's guards, in-process against a real run on the emulator: it answers only
 * its own Host (DNS rebinding), serves only files the report names and whose real path stays in
 * the out folder and the project (`..`, `%2e%2e`, absolute paths, backslashes, a symlink leading
 * out, the out folder itself swapped for a symlink to elsewhere: 404), and
 * a pick needs the page's token and a same-origin Origin (and a body under 4 KiB: 413); another
 * site's page gets 403 for anything. Headers sent slowly are cut off (408) in seconds, and past 256
 * connections at once the rest are dropped.
 * Run events turn a node to running. The pages themselves: report-serve-pages.test.ts.
 */
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startReportServer, writePick } from '../../src/index.js';
import { createProject, recipeYaml, runIn, testRuntime, until } from '../helpers/run-fixtures.js';
import { call, cleanUp, dataOf, held, type Reply, setUp } from './report-serve-kit.js';

afterEach(cleanUp);

describe('report server (run --watch --serve)', () => {
  it('answers only its own Host; serves only the files the page names, never outside the out folder', async () => {
    const { p, s, host } = await setUp();
    const h = { host };
    expect((await call(s.url, '/report/', { headers: { host: 'evil.example:80' } })).status).toBe(421);
    expect((await call(s.url, '/report/', { headers: { host: `attacker.test:${new URL(s.url).port}` } })).status).toBe(
      421,
    );
    const page = await call(s.url, '/report/', { headers: h });
    expect(page.status).toBe(200);
    expect((await call(s.url, '/favicon.ico', { headers: h })).status).toBe(204);
    expect(page.body).toMatch(/<meta name="kontext-token" content="[0-9a-f]{48}">/);
    const data = dataOf(page.body);
    expect(data.nodes.map((n) => n.state)).toEqual(['up-to-date', 'up-to-date', 'up-to-date']);
    const img = data.nodes[1]?.img?.replace(/^\.\./, '') ?? '';
    const got = await call(s.url, img, { headers: h });
    expect([got.status, got.type]).toEqual([200, 'image/png']);
    expect((await call(s.url, `/report/${data.nodes[1]?.thumb}`, { headers: h })).type).toBe('image/webp');

    // Each of these names the recipe, the lock or a system file: none is served.
    await writeFile(join(p.outDir, 'notes.png'), 'not named by the report');
    for (const path of [
      '/../recipe.yml',
      '/report/../../../recipe.yml',
      '/%2e%2e/%2e%2e/recipe.yml',
      '/report/%2e%2e%2f%2e%2e%2frecipe.lock.json',
      '/%2F..%2F..%2Frecipe.yml',
      `/${encodeURIComponent(p.recipe)}`,
      '//etc/passwd',
      '/sky/..%5c..%5crecipe.yml',
      '/sky/photo.png%00.png',
      '/notes.png',
      '/report/index.html/../../recipe.yml',
      '/%E0%A4%A',
    ]) {
      const r = await call(s.url, path, { headers: h });
      expect(r.status, path).toBe(404);
      expect(r.body, path).not.toMatch(/version: 1|"nodes"|root:/);
    }

    // An output replaced by a symlink to a file outside the out folder: refused, even though the page names it.
    const out = join(p.outDir, 'sky', 'photo.png');
    expect((await call(s.url, '/sky/photo.png', { headers: h })).status).toBe(200);
    await rm(out);
    await symlink(p.recipe, out);
    await s.refresh();
    expect((await call(s.url, '/sky/photo.png', { headers: h })).status).toBe(404);
  });

  it("another site's page: its requests are refused (403); the page's own, and a link followed, are not", async () => {
    const { s, host } = await setUp();
    const port = Number(new URL(s.url).port);
    const img = '/bag/photo-v1.png';
    // An <img>, a fetch, an EventSource on a page of another site (another port on this machine included).
    const foreign: Record<string, string>[] = [
      { origin: 'http://evil.example' },
      { origin: 'null' },
      { origin: `http://localhost:${port + 1}` },
      { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' },
      { 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' },
    ];
    for (const headers of foreign)
      for (const path of [img, '/report/', '/events']) {
        const r = await call(s.url, path, { headers: { host, ...headers } });
        expect([r.status, r.body], `${path} ${JSON.stringify(headers)}`).toEqual([
          403,
          'forbidden: a request from another site\n',
        ]);
      }
    const own = await call(s.url, img, {
      headers: { host, 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' },
    });
    expect([own.status, own.type, own.headers['cross-origin-resource-policy']]).toEqual([
      200,
      'image/png',
      'same-origin',
    ]);
    expect((await call(s.url, img, { headers: { host, origin: `http://${host}` } })).status).toBe(200);
    const link = { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' };
    expect((await call(s.url, '/report/', { headers: { host, ...link } })).status).toBe(200);
  });

  it('the out folder swapped for a symlink to a folder outside the project: nothing there is served', async () => {
    const { p, s, host } = await setUp();
    const img = '/bag/photo-v1.png';
    expect((await call(s.url, img, { headers: { host } })).status).toBe(200);
    // Elsewhere on the disk, a folder laid out as out/ is, holding other bytes under the names the page shows.
    const outside = await mkdtemp(join(tmpdir(), 'kontext-outside-'));
    try {
      await cp(p.outDir, outside, { recursive: true });
      await writeFile(join(outside, 'bag', 'photo-v1.png'), 'private bytes outside the project');
      await rm(p.outDir, { recursive: true });
      await symlink(outside, p.outDir);
      // Before and after the page is rebuilt (the rebuild refuses that out folder, and the page keeps its last data).
      for (const rebuilt of [false, true]) {
        if (rebuilt) await s.refresh();
        const r = await call(s.url, img, { headers: { host } });
        expect([r.status, r.body], String(rebuilt)).toEqual([404, 'not found\n']);
      }
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('a pick needs the token and this origin; run events mark nodes as running', async () => {
    const { s, host } = await setUp();
    const page = await call(s.url, '/report/', { headers: { host } });
    const token = /name="kontext-token" content="([0-9a-f]+)"/.exec(page.body)?.[1] ?? '';
    const body = JSON.stringify({ node: 'bag#1' });
    const json = { host, 'content-type': 'application/json' };
    const origin = `http://${host}`;
    const post = (headers: Record<string, string>): Promise<Reply> =>
      call(s.url, '/api/pick', { method: 'POST', headers, body });
    expect((await post({ ...json, origin })).status).toBe(403); // no token
    // A form on another site posting here (no custom header possible, so no token), or one sent without Origin.
    const forms: Record<string, string>[] = [{ origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' }, {}];
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'])
      for (const from of forms) expect((await post({ host, 'content-type': type, ...from })).status, type).toBe(403);
    expect((await post({ ...json, origin, 'x-kontext-token': 'f'.repeat(48) })).status).toBe(403);
    expect((await post({ ...json, origin: 'http://evil.example', 'x-kontext-token': token })).status).toBe(403);
    expect((await post({ ...json, 'x-kontext-token': token })).status).toBe(403); // no Origin at all
    expect((await post({ ...json, host: 'evil.example', origin, 'x-kontext-token': token })).status).toBe(421);
    // Token and origin right, but this server was started without a pick function.
    expect((await post({ ...json, origin, 'x-kontext-token': token })).status).toBe(404);
    expect((await call(s.url, '/report/', { method: 'DELETE', headers: { host } })).status).toBe(405);

    s.onEvent({ type: 'node-start', t: 1, node: 'bag#2', reason: 'prompt-changed' });
    await s.refresh();
    const after = dataOf((await call(s.url, '/report/', { headers: { host } })).body);
    expect(after.nodes.find((n) => n.id === 'bag#2')).toMatchObject({ state: 'running', stale: true });
    expect(after.counts).toMatchObject({ running: 1, 'up-to-date': 2 });
    s.onEvent({ type: 'node-failed', t: 2, node: 'bag#2', code: 'E_X', exit_code: 1, message: 'moderation' });
    await s.refresh();
    const failed = dataOf((await call(s.url, '/report/', { headers: { host } })).body);
    expect(failed.nodes.find((n) => n.id === 'bag#2')).toMatchObject({ state: 'failed', why: 'moderation' });
  });

  it("a pick carries the sha256 of the page's recipe: a stale page is refused, then refreshed", async () => {
    const p = (held.project = await createProject(
      recipeYaml([
        ['sky', 'Keep the face unchanged. Make the sky orange.'],
        ['bag', 'Keep the face unchanged. Add a brown bag.', 'variants: 2'],
      ]),
    ));
    await runIn(p);
    const rt = testRuntime(p.root);
    const pick = (recipe: string, node: string, expectSha256: string) => writePick(recipe, node, { rt, expectSha256 });
    const s = (held.server = await startReportServer(p.recipe, { port: 0, pick }, { rt }));
    await s.ready;
    const host = new URL(s.url).host;
    const page = await call(s.url, '/report/', { headers: { host } });
    const token = /name="kontext-token" content="([0-9a-f]+)"/.exec(page.body)?.[1] ?? '';
    const shown = dataOf(page.body).recipe.sha256 ?? '';
    const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
    const text = await readFile(p.recipe, 'utf8');
    expect(shown).toBe(sha(text));
    const allowed = { host, origin: `http://${host}`, 'content-type': 'application/json', 'x-kontext-token': token };
    const post = (body: unknown, headers: Record<string, string> = allowed): Promise<Reply> =>
      call(s.url, '/api/pick', { method: 'POST', headers, body: JSON.stringify(body) });

    // The token check stays, whatever the body says.
    expect(
      (await post({ node: 'bag#2', expectSha256: shown }, { ...allowed, 'x-kontext-token': 'f'.repeat(48) })).status,
    ).toBe(403);
    // A pick must say which recipe it was made on.
    const bare = await post({ node: 'bag#2' });
    expect([bare.status, bare.body]).toEqual([400, 'the pick names no recipe sha256: reload the page\n']);
    expect((await post({ node: 'bag#2', expectSha256: 'ABC' })).status).toBe(400);
    expect(await readFile(p.recipe, 'utf8')).toBe(text);

    // The recipe saved in an editor after the page was built: that page's pick is refused.
    const edited = `${text}# saved in the editor\n`;
    await writeFile(p.recipe, edited);
    const stale = await post({ node: 'bag#2', expectSha256: shown });
    expect(stale.status).toBe(409);
    expect(stale.body).toBe(
      'recipe.yml changed on disk since this page was built: nothing written. ' +
        'The page now shows the recipe as saved; look again, then pick again.\n',
    );
    expect(await readFile(p.recipe, 'utf8')).toBe(edited);
    // Answered after the rebuild: the data served now is the recipe as saved.
    const fresh = dataOf((await call(s.url, '/report/', { headers: { host } })).body).recipe.sha256 ?? '';
    expect(fresh).toBe(sha(edited));
    const ok = await post({ node: 'bag#2', expectSha256: fresh });
    expect([ok.status, ok.body]).toEqual([200, 'picked\n']);
    expect(await readFile(p.recipe, 'utf8')).toMatch(/variants: 2\n {4}pick: 2\n/);
  });

  it('a pick body over 4 KiB (said, or sent chunked): 413 at once, connection closed, nothing written', async () => {
    const p = (held.project = await createProject(
      recipeYaml([['bag', 'Keep the face unchanged. Add a brown bag.', 'variants: 2']]),
    ));
    await runIn(p);
    const rt = testRuntime(p.root);
    const pick = (recipe: string, node: string, expectSha256: string) => writePick(recipe, node, { rt, expectSha256 });
    const s = (held.server = await startReportServer(p.recipe, { port: 0, pick }, { rt }));
    await s.ready;
    const u = new URL(s.url);
    const page = await call(s.url, '/report/', { headers: { host: u.host } });
    const token = /name="kontext-token" content="([0-9a-f]+)"/.exec(page.body)?.[1] ?? '';
    const text = await readFile(p.recipe, 'utf8');
    const head = [
      'POST /api/pick HTTP/1.1',
      `host: ${u.host}`,
      `origin: http://${u.host}`,
      `x-kontext-token: ${token}`,
      'content-type: application/json',
    ].join('\r\n');
    // The client sends part of its body and waits: the answer must not wait for the rest.
    const answer = (request: string): Promise<string> =>
      new Promise((resolve) => {
        const socket = connect(Number(u.port), '127.0.0.1');
        let got = '';
        socket.setEncoding('latin1');
        socket.on('data', (d: string) => (got += d));
        socket.on('error', () => undefined);
        socket.once('close', () => resolve(got));
        socket.write(request);
      });
    const declared = await answer(`${head}\r\ncontent-length: 1000000\r\n\r\n{"node":"bag#2",`);
    const chunk = 'x'.repeat(8192);
    const chunked = await answer(`${head}\r\ntransfer-encoding: chunked\r\n\r\n2000\r\n${chunk}\r\n`);
    for (const reply of [declared, chunked]) {
      expect(reply).toMatch(/^HTTP\/1\.1 413 /);
      expect(reply).toMatch(/\r\nconnection: close\r\n/i);
      expect(reply).toContain('request body too large');
    }
    expect(await readFile(p.recipe, 'utf8')).toBe(text);
  });

  it('slow-loris: headers sent a line a second get 408 within seconds; past 256 connections, dropped', async () => {
    const p = (held.project = await createProject(
      recipeYaml([['sky', 'Keep the face unchanged. Make the sky orange.']]),
    ));
    const s = (held.server = await startReportServer(p.recipe, { port: 0 }, { rt: testRuntime(p.root) }));
    const u = new URL(s.url);
    const open = async (): Promise<{ socket: Socket; got: () => string; closed: Promise<number> }> => {
      const socket = connect(Number(u.port), '127.0.0.1');
      let got = '';
      socket.setEncoding('latin1');
      socket.on('data', (d: string) => (got += d));
      socket.on('error', () => undefined);
      const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
      await new Promise((resolve) => socket.once('connect', resolve));
      return { socket, got: () => got, closed };
    };
    const started = Date.now();
    const slow = await open();
    slow.socket.write(`GET /report/ HTTP/1.1\r\nhost: ${u.host}\r\n`);
    const drip = setInterval(() => slow.socket.write('x-more: 1\r\n'), 1000);
    try {
      const at = await slow.closed;
      expect(slow.got()).toMatch(/^HTTP\/1\.1 408 /);
      expect(at - started).toBeLessThan(20_000); // Node's defaults: 60 to 90 s
    } finally {
      clearInterval(drip);
    }

    const many = await Promise.all(Array.from({ length: 300 }, open));
    const dropped = await Promise.race([
      Promise.all(many.slice(256).map((c) => c.closed)),
      new Promise((resolve) => setTimeout(resolve, 5000, null)),
    ]);
    expect(dropped, 'the connections past 256 closed').not.toBeNull();
    for (const c of many) c.socket.destroy();
    await Promise.all(many.map((c) => c.closed));
    await until(async () => (await call(s.url, '/report/', { headers: { host: u.host } })).status === 200, 5000);
  }, 40_000);

  it('close() ends even while a client is half-way through a request (Ctrl-C must not hang)', async () => {
    const p = (held.project = await createProject(
      recipeYaml([['sky', 'Keep the face unchanged. Make the sky orange.']]),
    ));
    const s = await startReportServer(p.recipe, { port: 0 }, { rt: testRuntime(p.root) });
    const u = new URL(s.url);
    const socket = connect(Number(u.port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    // Headers never finished: server.close() alone waits for this request (it had no limit once
    // the server stopped listening: `run --watch --serve` never exited after a SIGHUP).
    socket.write(`GET /report/ HTTP/1.1\r\nhost: ${u.host}\r\n`);
    socket.on('error', () => undefined); // the server resets it: expected
    const dropped = new Promise((resolve) => socket.once('close', resolve));
    let closed = false;
    const closing = s.close().then(() => (closed = true));
    await until(() => closed, 10_000, 'the server closed');
    await closing;
    await dropped;
  });
});
