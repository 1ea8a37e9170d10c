/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Page functions run in the browser: DOM types for the code inside page.evaluate().
/**
 * Why a node has no result, in its viewer: a failed node's reason with its error code and hint,
 * as the terminal says it, and why a node not run yet will run. Before, the tile showed some 25
 * characters of the reason and the viewer only "No image for this node yet.". A node the live run
 * left out, an upstream node having failed, says so (it showed as "not run yet · new"). A failed
 * node showing its previous result says so, its figures that result's (walk-al 3), and a cached
 * node's thumbnail in place of its full image is said (walk-al 5).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pngHolding } from '../helpers/test-images.js';
import { ARTIFACTS, useBrowser } from './chromium.js';
import { gridData, nodeOf, pageOf } from './page-data.js';

const MESSAGE =
  'the provider answered 422: input image rejected by the content filter; ' +
  'the request was not billed (request id 7f3c0a2e-9b1d-4c55-8e0f-123456789abc)';

const browser = useBrowser();
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-report-why-'));
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The viewer's line saying why, and whether it is what is under its own centre (in sight). */
const whyLine = (page: Page) =>
  page.evaluate(() => {
    const w = document.querySelector<HTMLElement>('#v-foot .why');
    if (w === null) return null;
    const b = w.getBoundingClientRect();
    const under = document.elementFromPoint(b.left + b.width / 2, b.top + Math.min(b.height, 16) / 2);
    return { text: w.textContent, seen: under !== null && w.contains(under) };
  });

describe('the viewer of a node without a result', () => {
  it('a failed node: its reason, code and hint; a node not run yet: why it will run', async () => {
    const base = gridData(['sky', 'scarf'], 1);
    const failed = { state: 'failed' as const, why: MESSAGE, code: 'E_PROVIDER_REJECTED', hint: 'edit the source' };
    const data = {
      ...base,
      nodes: [nodeOf('sky', 0, 0, failed), nodeOf('scarf', 1, 0, { why: 'prompt-changed', from: 'sky' })],
      counts: { ...base.counts, nodes: 2, 'not-run': 1, failed: 1 },
    };
    const page = await browser.page({ width: 1024, height: 640 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(await pageOf(data, dir));
    await page.click('.tile[data-id="sky"]');
    await expect.poll(() => page.locator('#viewer').isVisible()).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'report-viewer-failed.png') });
    expect(await whyLine(page)).toEqual({
      text: `failed: E_PROVIDER_REJECTED: ${MESSAGE} (edit the source)`,
      seen: true,
    });
    expect(await page.locator('#v-stage').textContent()).toBe('No image: this node failed (why below).');
    await page.keyboard.press('Escape');
    await page.click('.tile[data-id="scarf"]');
    expect(await whyLine(page)).toEqual({ text: 'not run yet: prompt changed', seen: true });
    expect(await page.locator('#v-stage').textContent()).toBe('No image for this node yet.');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a node skipped below a failed one: its tile and viewer say so, and which (walk-w 5)', async () => {
    const base = gridData(['sky', 'scarf'], 1);
    const skipped = { state: 'skipped' as const, why: 'upstream sky failed', from: 'sky' };
    const data = {
      ...base,
      nodes: [nodeOf('sky', 0, 0, { state: 'failed', why: MESSAGE }), nodeOf('scarf', 1, 0, skipped)],
      counts: { ...base.counts, nodes: 2, 'not-run': 0, failed: 1, skipped: 1 },
    };
    const page = await browser.page({ width: 1024, height: 640 });
    await page.goto(await pageOf(data, join(dir, 'skipped')));
    // Before: "not run yet · new", as if it were new work.
    expect(await page.locator('.tile[data-id="scarf"] .chip').textContent()).toBe('skipped');
    expect(await page.locator('.tile[data-id="scarf"] .l2').textContent()).toBe('upstream sky failed · seed 1');
    expect(await page.locator('#top .counts .chip').allTextContents()).toEqual(['1 failed', '1 skipped']);
    await page.click('.tile[data-id="scarf"]');
    expect(await whyLine(page)).toEqual({ text: 'skipped: upstream sky failed', seen: true });
    await page.screenshot({ path: join(ARTIFACTS, 'report-viewer-skipped.png') });
    await page.close();
  });

  it('a failed node showing its previous result, a cached one its thumbnail: each says so (walk-al 3, 5)', async () => {
    const at = join(dir, 'previous');
    await mkdir(join(at, 'report', 'thumbs'), { recursive: true });
    await mkdir(join(at, 'wide'), { recursive: true });
    await writeFile(join(at, 'wide', 'old.png'), pngHolding('old', 64, 48));
    await writeFile(join(at, 'report', 'thumbs', 'old.png'), pngHolding('thumb', 32, 24));
    const base = gridData(['wide'], 2);
    const review = { metric: 'cie76-lab-4', threshold: 10, changed_pct: 99.7, chain_changed_pct: 98.8, map: null };
    const shown = {
      seed: 7,
      thumb: 'thumbs/old.png',
      costUsd: 0.04,
      finishedAt: '2026-12-07T21:57:08.000Z',
      review: { ...review, map_sha256: 'a'.repeat(64), width: 64, height: 48 },
    };
    const failed = { state: 'failed' as const, why: 'Request moderated', code: 'E_REMOTE_FAILED', stale: true };
    const data = {
      ...base,
      nodes: [
        nodeOf('wide@a', 0, 0, { ...shown, ...failed, img: '../wide/old.png', staleWhy: 'prompt-changed' }),
        nodeOf('wide@b', 0, 1, { ...shown, state: 'cached', why: null }),
      ],
      counts: { ...base.counts, nodes: 2, 'not-run': 0, failed: 1, cached: 1 },
    };
    const page = await browser.page({ width: 1024, height: 640 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(await pageOf(data, at));
    const viewer = () =>
      page.evaluate(() => ({
        meta: document.querySelector('#v-head .meta')?.textContent,
        foot: [...document.querySelectorAll('#v-foot > :not(.prompt)')].map((e) => e.textContent).filter((t) => t),
      }));
    await page.click('.tile[data-id="wide@a"]');
    await page.screenshot({ path: join(ARTIFACTS, 'report-viewer-previous.png') });
    // Before: the old result's seed, cost, time and change as this prompt's, nothing said.
    expect(await viewer()).toEqual({
      meta: 'previous result: seed 7 · $0.040 · 2026-12-07 21:57:08',
      foot: [
        'failed: E_REMOTE_FAILED: Request moderated',
        'showing the previous result (from before: prompt changed); its change, cost and time are that result’s',
        'input: shot-0',
        'previous result: changed 99.7% · chain 98.8% (cie76-lab-4, threshold 10)',
      ],
    });
    await page.keyboard.press('Escape');
    // The tiles too: the failed one's change is the previous result's, the cached one's its own.
    const tileChange = (id: string) =>
      page.evaluate(
        (i) =>
          [...document.querySelectorAll(`.tile[data-id="${i}"] .pct, .tile[data-id="${i}"] .chg`)].map(
            (e) => e.textContent,
          ),
        id,
      );
    expect(await tileChange('wide@a')).toEqual(['prev Δ 99.7%', 'prev chain Δ 98.8%']);
    expect(await tileChange('wide@b')).toEqual(['Δ 99.7%', 'chain Δ 98.8%']);
    expect(await page.getAttribute('.tile[data-id="wide@a"]', 'aria-label')).toMatch(/previous result changed 99\.7%/);
    await page.click('.tile[data-id="wide@b"]');
    // Before: the 320 px thumbnail at full size, unsaid.
    expect(await viewer()).toEqual({
      meta: 'seed 7 · $0.040 · 2026-12-07 21:57:08',
      foot: [
        'input: shot-1',
        'changed 99.7% · chain 98.8% (cie76-lab-4, threshold 10)',
        'full-size image not in out/ (a run restores it from the cache, free): showing the thumbnail',
      ],
    });
    expect(errors).toEqual([]);
    await page.close();
  });
});
