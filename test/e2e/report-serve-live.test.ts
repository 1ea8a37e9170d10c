/**
 * The watch server's page while a run goes on, in-process against a real run on the emulator,
 * fed the run's events by hand so each step is deterministic: a node the run executed is not
 * reviewed a second time by the page (the run reviews it and stores the review before its
 * summary; before, each rebuild made the same review again and held the page back for it), and a
 * finished node is published at once, before the images it lacks are made, then again with them.
 */
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReportData, ReportServer, RunEvent } from '../../src/index.js';
import type { ReportNode } from '../../src/report/types.js';
import { acquireFileMutex } from '../../src/store/file-mutex.js';
import { layout } from '../../src/store/layout.js';
import type { RunRecord } from '../../src/store/types.js';
import type { Project } from '../helpers/run-fixtures.js';
import { until } from '../helpers/run-fixtures.js';
import { call, cleanUp, dataOf, models, setUp } from './report-serve-kit.js';

afterEach(cleanUp);

async function recordPath(p: Project, node: string): Promise<string> {
  return layout.record(p.cacheDir, (await p.readLock()).nodes[node]?.key ?? '');
}

async function pageData(s: ReportServer): Promise<ReportData> {
  return dataOf((await call(s.url, '/report/', { headers: { host: new URL(s.url).host } })).body);
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
    const stream = models(s.url);
    try {
      await until(() => stream.seen.length === 1, 10_000, 'the first model');
      const thumb = stream.seen[0]?.nodes.find((n) => n.id === 'sky')?.thumb ?? '';
      expect(thumb).toMatch(/^thumbs\/[0-9a-f]{64}\.webp$/);
      // As for a result just written: its thumbnail is not made yet.
      await rm(join(p.outDir, 'report', thumb));
      s.onEvent(nodeDone('sky'));
      await s.refresh();
      const sky = (d: ReportData): ReportNode | undefined => d.nodes.find((n) => n.id === 'sky');
      const after = stream.seen.slice(1);
      await until(() => after.some((d) => sky(d)?.thumb === thumb), 10_000, 'the model with the thumbnail');
      const at = after.findIndex((d) => sky(d)?.thumb === thumb);
      // Before it, the state alone (the event laid over the last data, or the rebuild's early push), then with it.
      expect(at).toBeGreaterThan(0);
      expect(after.slice(0, at).map((d) => [sky(d)?.state, sky(d)?.thumb])).toEqual(
        Array(at).fill(['up-to-date', null]),
      );
      // The refresh may rebuild once more (it joins the rebuild the event started): with the thumbnail.
      expect(after.slice(at).every((d) => sky(d)?.thumb === thumb)).toBe(true);
      expect(await readdir(join(p.outDir, 'report', 'thumbs'))).toContain(thumb.slice('thumbs/'.length));
    } finally {
      stream.close();
    }
  });

  it('between rebuilds, the run’s node events are pushed over the last data: running, failed, done', async () => {
    const { p, s, host } = await setUp();
    const stream = models(s.url);
    try {
      await until(() => stream.seen.length === 1, 10_000, 'the first model');
      const built = stream.seen[0] as ReportData;
      // Every rebuild from here waits: another report holds the folder (as a `kontext report` beside it would).
      const release = await acquireFileMutex(join(p.outDir, 'report', '.index.html'), { pid: process.pid });
      const last = (id: string): ReportNode | undefined => stream.seen.at(-1)?.nodes.find((n) => n.id === id);
      try {
        s.onEvent({ type: 'node-start', t: 1, node: 'bag#2', reason: 'prompt-changed' });
        // Before, nothing came until the rebuild the event started was done (seconds in a big run).
        await until(() => last('bag#2')?.state === 'running', 10_000, 'bag#2 running');
        expect(last('bag#2')?.stale).toBe(true);
        expect(stream.seen.at(-1)?.counts).toMatchObject({ nodes: 3, running: 1, 'up-to-date': 2 });
        s.onEvent({ type: 'node-failed', t: 2, node: 'bag#2', code: 'E_X', exit_code: 1, message: 'moderation' });
        await until(() => last('bag#2')?.state === 'failed', 10_000, 'bag#2 failed');
        expect(last('bag#2')?.why).toBe('moderation');
        s.onEvent({ type: 'node-start', t: 3, node: 'sky', reason: 'prompt-changed' });
        s.onEvent(nodeDone('sky'));
        await until(() => last('sky')?.ms === 5, 10_000, 'sky done');
        // Done: its new output, its thumbnail and review still to make.
        expect(last('sky')).toMatchObject({ state: 'up-to-date', stale: false, thumb: null, review: null });
        expect(last('sky')?.img).toBe('../sky/photo.png');
        expect((await call(s.url, '/sky/photo.png', { headers: { host } })).status).toBe(200);
        expect(stream.seen.at(-1)?.counts).toMatchObject({ running: 0, failed: 1, 'up-to-date': 2 });
        // All of it laid over the data built before the hold: no rebuild has finished meanwhile.
        expect(stream.seen.every((d) => d.generatedAt === built.generatedAt)).toBe(true);
      } finally {
        await release();
      }
      await until(() => last('sky')?.thumb !== null, 10_000, 'the rebuild, with its thumbnail');
      expect([last('sky')?.state, last('bag#2')?.state]).toEqual(['up-to-date', 'failed']);
    } finally {
      stream.close();
    }
  });
});
