/**
 * The watch server's page while a run goes on, in-process against a real run on the emulator,
 * fed the run's events by hand so each step is deterministic: a node the run executed is not
 * reviewed a second time by the page (the run reviews it and stores the review before its
 * summary; before, each rebuild made the same review again and held the page back for it), and a
 * finished node is published at once, before the images it lacks are made, then again with them.
 */
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReportData, ReportServer, RunEvent } from '../../src/index.js';
import { layout } from '../../src/store/layout.js';
import type { RunRecord } from '../../src/store/types.js';
import type { Project } from '../helpers/run-fixtures.js';
import { until } from '../helpers/run-fixtures.js';
import { call, cleanUp, dataOf, setUp } from './report-serve-kit.js';

afterEach(cleanUp);

async function recordPath(p: Project, node: string): Promise<string> {
  return layout.record(p.cacheDir, (await p.readLock()).nodes[node]?.key ?? '');
}

async function pageData(s: ReportServer): Promise<ReportData> {
  return dataOf((await call(s.url, '/report/', { headers: { host: new URL(s.url).host } })).body);
}

/** Every model the server pushes on one event stream, in order. */
function models(s: ReportServer): { readonly seen: ReportData[]; close(): void } {
  const seen: ReportData[] = [];
  const u = new URL(s.url);
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

const nodeDone = (node: string): RunEvent => ({
  type: 'node-done',
  t: 1,
  node,
  output: `out/test/${node}/photo.png`,
  request_id: 'req-1',
  seed: 1,
  ms: 5,
});

describe('report server during a run (run --watch --serve)', () => {
  it('a node the run executed: its review is the run’s, not made again by the page', async () => {
    const { p, s } = await setUp();
    const path = await recordPath(p, 'sky');
    const reviewed = JSON.parse(await readFile(path, 'utf8')) as RunRecord;
    expect(reviewed.review?.changed_pct).toEqual(expect.any(Number));
    // As the record is the moment the run has written it, its review not made yet.
    const { review: _, ...bare } = reviewed;
    await writeFile(path, JSON.stringify(bare));

    s.onEvent(nodeDone('sky'));
    await s.refresh();
    const during = (await pageData(s)).nodes.find((n) => n.id === 'sky');
    expect([during?.state, during?.review, during?.noReview]).toEqual(['up-to-date', null, undefined]);
    // Before, the page reviewed it too (decoding both images again, the page held back meanwhile).
    expect((JSON.parse(await readFile(path, 'utf8')) as RunRecord).review).toBeUndefined();

    // The run's summary comes once its reviews are stored; one that failed is the page's to make.
    s.onEvent({ type: 'run-summary', t: 2 } as RunEvent);
    await s.refresh();
    const after = (await pageData(s)).nodes.find((n) => n.id === 'sky');
    expect(after?.review?.changed_pct).toBe(reviewed.review?.changed_pct);
    expect((JSON.parse(await readFile(path, 'utf8')) as RunRecord).review).toEqual(reviewed.review);
  });

  it('a finished node is shown at once, before its thumbnail is made; then again with it', async () => {
    const { p, s } = await setUp();
    const stream = models(s);
    try {
      await until(() => stream.seen.length === 1, 10_000, 'the first model');
      const thumb = stream.seen[0]?.nodes.find((n) => n.id === 'sky')?.thumb ?? '';
      expect(thumb).toMatch(/^thumbs\/[0-9a-f]{64}\.webp$/);
      // As for a result just written: its thumbnail is not made yet.
      await rm(join(p.outDir, 'report', thumb));
      s.onEvent(nodeDone('sky'));
      await s.refresh();
      await until(() => stream.seen.length >= 3, 10_000, 'two models');
      const [early, full] = stream.seen.slice(1).map((d) => d.nodes.find((n) => n.id === 'sky'));
      expect([early?.state, early?.thumb]).toEqual(['up-to-date', null]);
      expect([full?.state, full?.thumb]).toEqual(['up-to-date', thumb]);
      // The refresh may rebuild once more (it joins the rebuild the event started): with the thumbnail.
      const later = stream.seen.slice(2).map((d) => d.nodes.find((n) => n.id === 'sky')?.thumb);
      expect(later.every((t) => t === thumb)).toBe(true);
      expect(await readdir(join(p.outDir, 'report', 'thumbs'))).toContain(thumb.slice('thumbs/'.length));
    } finally {
      stream.close();
    }
  });
});
