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
    const passes = base.passes.map((p, i) => (i === 0 ? { ...p, maxChange: 20 } : { ...p, ownsVariants: true }));
    const data = {
      ...base,
      passes,
      nodes: [
        nodeOf('sky', 0, 0, { state: 'up-to-date', why: null, review: review(42.5), drift: true }),
        nodeOf('bag#1', 1, 0, { state: 'up-to-date', why: null, variant: 1, picked: true, review: review(3) }),
        nodeOf('bag#2', 1, 0, { state: 'failed', why: 'Request moderated: the prompt was flagged', variant: 2 }),
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
    // Before: ['sky, up to date', 'bag#1, up to date', 'bag#2, failed'].
    expect(labels).toEqual([
      'sky, up to date, changed 42.5%, drift over 20%',
      'bag#1, up to date, changed 3%, picked',
      'bag#2, failed, Request moderated: the prompt was flagged',
    ]);
    const nesting = await page.evaluate(() => ({
      buttons: document.querySelectorAll('button[data-pick]').length,
      inside: document.querySelectorAll('[role=button] button, [role=button] [role=button]').length,
    }));
    expect(nesting).toEqual({ buttons: 2, inside: 0 });
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
