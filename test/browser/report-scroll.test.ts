/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Page functions run in the browser: DOM types for the code inside page.evaluate().
/**
 * The grid scrolls in a box of its own (main), so the page is never wider than the window. What that
 * must not cost (review-ad): printing the whole grid, a tall header scrolled away first by the wheel,
 * the keyboard's page keys with nothing focused, a phone's room for tiles, and the Tab ring of the
 * viewer reaching a long failure's text.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, useBrowser } from './chromium.js';
import { gridData, nodeOf, pageOf } from './page-data.js';

const PASSES = ['sky', 'scarf', 'bag'];
const browser = useBrowser();
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-report-scroll-'));
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const scrolled = (page: import('playwright-core').Page) =>
  page.evaluate(() => ({ main: document.querySelector('main')?.scrollTop ?? -1, page: window.scrollY }));

describe('the grid in its own scroll box', () => {
  it('prints whole: the box grows to the grid (it printed one window of it)', async () => {
    const page = await browser.page({ width: 1024, height: 768 });
    await page.goto(await pageOf(gridData(PASSES, 30), join(dir, 'print')));
    await page.emulateMedia({ media: 'print' });
    const box = await page.evaluate(() => {
      const m = document.querySelector('main') as HTMLElement;
      return { inner: m.scrollHeight - m.clientHeight, doc: document.documentElement.scrollHeight };
    });
    expect(box.inner).toBeLessThanOrEqual(1);
    expect(box.doc).toBeGreaterThan(30 * 100);
    await page.close();
  });

  it('a header taller than 40 % of the window scrolls away at the first wheel', async () => {
    const warnings = Array.from({ length: 12 }, (_, i) => `layout.yml:${i + 10}:5: a prompt-lint warning ${i}`);
    const page = await browser.page({ width: 512, height: 384 });
    await page.goto(await pageOf(gridData(PASSES, 30, { warnings }), join(dir, 'tall')));
    await page.locator('details.warn summary').click();
    // Marked tall once the header is measured, after the toggle's layout (not within the click).
    await expect.poll(() => page.evaluate(() => document.getElementById('top')?.classList.contains('tall'))).toBe(true);
    const header = await page.evaluate(() => document.getElementById('top')?.offsetHeight ?? 0);
    await page.mouse.move(250, 370);
    await page.mouse.wheel(0, 100);
    // The page first (before: the grid's box, the header staying on screen to the grid's end)...
    await expect.poll(() => scrolled(page)).toEqual({ main: 0, page: Math.min(100, header) });
    for (let i = 0; i < 6; i++) await page.mouse.wheel(0, 100);
    // ... then, the header gone, the box.
    await expect.poll(() => scrolled(page)).toMatchObject({ page: header });
    await expect.poll(async () => (await scrolled(page)).main).toBeGreaterThan(0);
    await page.close();
  });

  it('PageDown, End and Home with nothing focused scroll the grid', async () => {
    const page = await browser.page({ width: 1024, height: 768 });
    await page.goto(await pageOf(gridData(PASSES, 30), join(dir, 'keys')));
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('PageDown');
    await expect.poll(async () => (await scrolled(page)).main).toBeGreaterThan(300);
    await page.keyboard.press('End');
    await expect
      .poll(() =>
        page.evaluate(() => {
          const m = document.querySelector('main') as HTMLElement;
          return m.scrollHeight - m.clientHeight - m.scrollTop;
        }),
      )
      .toBeLessThanOrEqual(1);
    await page.keyboard.press('Home');
    await expect.poll(async () => (await scrolled(page)).main).toBe(0);
    await page.close();
  });

  it("on a phone the row header leaves room for tiles; the viewer's Tab ring reaches a failure's text", async () => {
    const why = `request 3e2842a6-1111 failed remotely: ${'Request moderated, the prompt was flagged. '.repeat(8)}`;
    const data = gridData(PASSES, 2);
    const nodes = data.nodes.map((n) => (n.id === 'sky@r0' ? nodeOf('sky@r0', 0, 0, { state: 'failed', why }) : n));
    const page = await browser.page({ width: 390, height: 844 }, true);
    await page.goto(await pageOf({ ...data, nodes }, join(dir, 'phone')));
    const first = await page.evaluate(() => document.querySelector('.rowh')?.getBoundingClientRect().width ?? 0);
    expect(first).toBeLessThanOrEqual(110); // 190 took half of the window
    await page.screenshot({ path: join(ARTIFACTS, 'report-phone-grid.png') });
    await page.locator('.tile[data-id="sky@r0"]').click();
    // No input to show: "after" is the mode pressed, not the disabled "split".
    const pressed = await page.evaluate(() =>
      [...document.querySelectorAll('#v-head [aria-pressed="true"]')].map((b) => (b as HTMLElement).dataset.k),
    );
    expect(pressed).toEqual(['after']);
    const ring: string[] = [];
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      ring.push(await page.evaluate(() => (document.activeElement as HTMLElement).className || 'button'));
    }
    expect(ring).toContain('why bad');
    await page.screenshot({ path: join(ARTIFACTS, 'report-phone-failed-viewer.png') });
    await page.close();
  });
});
