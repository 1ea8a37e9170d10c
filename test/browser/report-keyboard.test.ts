/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Page functions run in the browser: DOM types for the code inside page.evaluate().
/**
 * The review page from the keyboard (walk-w 6). Before: Tab left the open viewer (aria-modal)
 * for the grid behind it; Space on a focused tile (role=button) did nothing, only Enter opened
 * it; and an arrow key with no tile focused jumped to the first tile of the page, wherever the
 * reader had scrolled to.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, useBrowser } from './chromium.js';
import { gridData, pageOf } from './page-data.js';

const browser = useBrowser();
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-report-keys-'));
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const active = (page: Page) =>
  page.evaluate(() => {
    const a = document.activeElement as HTMLElement;
    return { id: a.dataset['id'] ?? null, inViewer: (document.getElementById('viewer') as HTMLElement).contains(a) };
  });

describe('the review page from the keyboard', () => {
  it('Tab stays in the viewer; Space opens a tile; an arrow key starts from the first tile in sight', async () => {
    const page = await browser.page({ width: 1000, height: 700 });
    await page.goto(await pageOf(gridData(['sky', 'scarf', 'bag'], 30), dir));
    await page.keyboard.press('ArrowDown');
    expect((await active(page)).id).toBe('sky@r0');
    // Space on the focused tile opens it, as Enter does.
    await page.keyboard.press(' ');
    expect(await page.locator('#viewer').isVisible()).toBe(true);
    for (const key of ['Tab', 'Tab', 'Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab']) {
      await page.keyboard.press(key);
      // Before: the second Tab reached the page's body, the third a tile behind the viewer.
      expect(await active(page), key).toEqual({ id: null, inViewer: true });
    }
    await page.keyboard.press('Escape');
    expect(await active(page)).toEqual({ id: 'sky@r0', inViewer: false });

    // Scrolled down to row 20, nothing focused: the arrow key starts there, not at row 0.
    const scrolled = await page.evaluate(() => {
      const t = document.querySelector('.tile[data-id="sky@r20"]') as HTMLElement;
      t.scrollIntoView({ block: 'center' });
      (document.activeElement as HTMLElement).blur();
      return (document.querySelector('main') as HTMLElement).scrollTop;
    });
    expect(scrolled).toBeGreaterThan(1000);
    await page.keyboard.press('ArrowDown');
    const after = await page.evaluate(() => {
      const a = document.activeElement as HTMLElement;
      const r = a.getBoundingClientRect();
      const m = (document.querySelector('main') as HTMLElement).getBoundingClientRect();
      return { id: a.dataset['id'], seen: r.top >= m.top && r.bottom <= m.bottom };
    });
    await page.screenshot({ path: join(ARTIFACTS, 'report-keyboard.png') });
    // Before: sky@r0, the page scrolled back to its top.
    expect(after.seen, JSON.stringify(after)).toBe(true);
    expect(Number(/@r(\d+)/.exec(after.id ?? '')?.[1]), JSON.stringify(after)).toBeGreaterThan(10);
    await page.close();
  });
});
