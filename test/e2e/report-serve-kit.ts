/**
 * What the report server's e2e tests share (report-serve.test.ts, report-serve-pages.test.ts): a
 * project run on the emulator with its server, plain HTTP calls with any Host, the page's data.
 */
import { request } from 'node:http';
import { startReportServer, type ReportData, type ReportServer } from '../../src/index.js';
import { createProject, recipeYaml, runIn, testRuntime, type Project } from '../helpers/run-fixtures.js';

/** What the running test started; each file's `afterEach(cleanUp)` closes it. */
export const held: { project?: Project | undefined; server?: ReportServer | undefined } = {};

export async function cleanUp(): Promise<void> {
  await held.server?.close();
  await held.project?.cleanup();
  held.project = held.server = undefined;
}

export interface Reply {
  readonly status: number;
  readonly body: string;
  readonly type: string | undefined;
  readonly headers: Record<string, unknown>;
}

export function call(
  url: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: u.port, path, method: options.method ?? 'GET', headers: options.headers },
      (res) => {
        let body = '';
        res.setEncoding('latin1');
        res.on('data', (d: string) => (body += d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body, type: res.headers['content-type'], headers: res.headers }),
        );
      },
    );
    req.once('error', reject);
    req.end(options.body);
  });
}

export async function setUp(): Promise<{ p: Project; s: ReportServer; host: string }> {
  const p = (held.project = await createProject(
    recipeYaml([
      ['sky', 'Keep the face unchanged. Make the sky orange.'],
      ['bag', 'Keep the face unchanged. Add a brown bag.', 'variants: 2'],
    ]),
  ));
  await runIn(p);
  const s = (held.server = await startReportServer(p.recipe, { port: 0 }, { rt: testRuntime(p.root) }));
  await s.ready;
  return { p, s, host: new URL(s.url).host };
}

export const dataOf = (html: string): ReportData =>
  JSON.parse(/id="kontext-data">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? 'null') as ReportData;

/** Every model the server at `url` pushes on one event stream, in order. */
export function models(url: string): { readonly seen: ReportData[]; close(): void } {
  const seen: ReportData[] = [];
  const u = new URL(url);
  let text = '';
  const req = request({ host: '127.0.0.1', port: u.port, path: '/events', headers: { host: u.host } }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (d: string) => {
      text += d;
      for (let i = text.indexOf('\n\n'); i >= 0; i = text.indexOf('\n\n')) {
        const frame = text.slice(0, i);
        text = text.slice(i + 2);
        if (frame.startsWith('event: model\n')) seen.push(JSON.parse(frame.slice(frame.indexOf('data: ') + 6)));
      }
    });
  });
  req.on('error', () => undefined);
  req.end();
  return { seen, close: () => req.destroy() };
}
