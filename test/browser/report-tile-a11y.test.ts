/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Page functions run in the browser: DOM types for the code inside page.evaluate().
/**
 * What a screen reader gets of a tile (walk-w 7). A tile is a `role=button` whose aria-label
 * stands for all its text: it was only "<id>, <state>", so the drift, the change, the pick and a
 * failure's reason were never said. And on the served page each pick button sat inside that
 * role=button element, a button in a button. Now the label says them, and the pick button is
 * the tile's sibling.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderPage } from '../../src/report/html.js';
import { ARTIFACTS, useBrowser } from './chromium.js';
import { gridData, nodeOf } from './page-data.js';

const browser = useBrowser();
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-report-a11y-'));
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const review = (changed: number) => ({
  metric: 'cie76-lab-4',
  threshold: 10,
  changed_pct: changed,
  chain_changed_pct: null,
  map: null,
  map_sha256: 'a'.repeat(64),
  width: 64,
  height: 48,
});

describe('a tile for a screen reader', () => {
  it('its label says state, change, drift, pick and why; the pick button is not inside it', async () => {
    const base = gridData(['sky', 'bag'], 1);
    const passes = base.passes.map((p, i) =>
      i === 0 ? { ...p, from: 'background', maxChange: 98.5 } : { ...p, ownsVariants: true },
    );
    const data = {
      ...base,
      passes,
      nodes: [
        // 98.55 is stored as 98.5499…: the terminal's toFixed(1) says 98.5, and over max_change 98.5, 98.55.
        nodeOf('sky', 0, 0, { state: 'up-to-date', why: null, review: review(98.55), drift: true }),
        nodeOf('bag#1', 1, 0, { state: 'up-to-date', why: null, variant: 1, picked: true, review: review(98.55) }),
        nodeOf('bag#2', 1, 0, { state: 'failed', why: 'Request moderated: the prompt was flagged', variant: 2 }),
        nodeOf('bag#3', 1, 0, { why: 'not-cached', seed: 66395293, variant: 3 }),
      ],
    };
    // A served page's (pick buttons), opened from a file: its event stream simply fails.
    await mkdir(join(dir, 'report'), { recursive: true });
    const file = join(dir, 'report', 'index.html');
    await writeFile(file, renderPage(data, { token: 't', session: 's', pick: true, pingMs: 5000 }));
    const page = await browser.page({ width: 1024, height: 640 });
    await page.goto(pathToFileURL(file).href);
    const labels = await page.evaluate(() =>
      [...document.querySelectorAll('.tile')].map((t) => t.getAttribute('aria-label')),
    );
    // Before: ['sky, up to date', 'bag#1, up to date', 'bag#2, failed']; then "changed 98.6%" (walk-al 1).
    expect(labels).toEqual([
      'sky, up to date, changed 98.55%, drift over 98.5%',
      'bag#1, up to date, changed 98.5%, picked',
      'bag#2, failed, Request moderated: the prompt was flagged',
      'bag#3, not run yet, not in cache',
    ]);
    const tiles = await page.evaluate(() =>
      [...document.querySelectorAll('.tile')].map((t) => [
        t.querySelector('.pct')?.textContent ?? null,
        t.querySelector('.l2')?.textContent,
      ]),
    );
    // A not-run tile's reason first, the seed after it: "seed 66395293 · not in c…" (walk-al 6).
    expect(tiles).toEqual([
      ['Δ 98.55%', 'seed 1'],
      ['Δ 98.5%', 'seed 1'],
      [null, 'Request moderated: the prompt was flagged · seed 1'],
      [null, 'not in cache · seed 66395293'],
    ]);
    // The column's "max 98.5%" on one line (it wrapped as "max" / "30%").
    expect(await page.locator('.colh .from.nw').evaluate((e) => e.getClientRects().length)).toBe(1);
    const nesting = await page.evaluate(() => ({
      buttons: document.querySelectorAll('button[data-pick]').length,
      inside: document.querySelectorAll('[role=button] button, [role=button] [role=button]').length,
    }));
    expect(nesting).toEqual({ buttons: 3, inside: 0 });
    expect(await page.getByRole('button', { name: 'un-pick #1' }).count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'report-tile-a11y.png') });
    await page.close();
  });

  it("a provider's failure shows its reason first, its request after (the tile cut only the id)", async () => {
    const id = '3e2842a6-1111-2222-3333-444455556666';
    const fal = 'fal.ai submit: HTTP 422: {"detail":"Invalid request payload: image_url must be a URL"}';
    const why = [
      [`request ${id} failed remotely: Request moderated`, `Request moderated (request ${id})`],
      ['prediction q8w7 failed remotely: CUDA out of memory', 'CUDA out of memory (prediction q8w7)'],
      ['prediction q8w7 was moderated: NSFW', 'NSFW (prediction q8w7)'],
      ['BFL task 1b2c: Request Moderated (x)', 'Request Moderated (x) (BFL task 1b2c)'],
      [fal, fal], // not a request's own words: as it is
    ];
    const data = {
      ...gridData(['sky'], why.length),
      nodes: why.map(([w], r) => nodeOf(`sky@r${r}`, 0, r, { state: 'failed', why: w ?? null })),
    };
    await mkdir(join(dir, 'failed'), { recursive: true });
    const file = join(dir, 'failed', 'index.html');
    await writeFile(file, renderPage(data));
    const page = await browser.page({ width: 1024, height: 640 });
    await page.goto(pathToFileURL(file).href);
    const shown = await page.evaluate(() =>
      [...document.querySelectorAll('.tile')].map((t) => [t.querySelector('.bits')?.textContent, t.ariaLabel]),
    );
    // The reason before an earlier result's seed: after it, it was cut off.
    expect(shown).toEqual(why.map(([, r], i) => [`${r} · seed 1`, `sky@r${i}, failed, ${r}`]));
    await page.close();
  });
});
