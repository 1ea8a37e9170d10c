/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Page functions run in the browser: DOM types for the code inside page.evaluate().
/**
 * The page's text against its background, as WCAG AA asks: at least 4.5:1 (walk-w 8). Before:
 * the light grey of the tiles' prompts, the column headers' `max 20%` and `pick #1`, the SOURCE
 * corner and "no image yet" 2.8–3.2:1; the "up to date" chip 4.47; the viewer's pressed button
 * 3.87; and the running chip pulsed its text down to opacity .55 (2.43). Every element holding
 * text is measured, in the grid and in the open viewer; the running chip's pulse is a ring now.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, useBrowser } from './chromium.js';
import { gridData, nodeOf, pageOf } from './page-data.js';

const browser = useBrowser();
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-report-contrast-'));
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Each element with text of its own (disabled controls left out, as WCAG does) under `root` below 4.5:1. */
const lowContrast = (page: Page, root: string) =>
  page.evaluate((sel) => {
    const rgb = (c: string): number[] => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r = 0, g = 0, b = 0]: number[]): number => {
      const f = (c: number): number => {
        const v = c / 255;
        return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (e: Element | null): number[] => {
      for (let x = e; x !== null; x = x.parentElement) {
        const c = rgb(getComputedStyle(x).backgroundColor);
        if (c.length === 3 || (c[3] ?? 0) > 0) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const low: string[] = [];
    for (const e of document.querySelectorAll<HTMLElement>(`${sel} *`)) {
      const own = [...e.childNodes].some((n) => n.nodeType === 3 && (n.textContent ?? '').trim() !== '');
      if (!own || e.offsetParent === null || e.closest(':disabled')) continue;
      const s = getComputedStyle(e);
      const a = lum(rgb(s.color));
      const b = lum(background(e));
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      if (ratio < 4.5 || Number(s.opacity) < 1)
        low.push(`${e.className || e.tagName} "${e.textContent}": ${ratio.toFixed(2)}`);
    }
    return low;
  }, root);

describe('contrast on the review page', () => {
  it('every text of the grid, the header and the open viewer is at least 4.5:1', async () => {
    const base = gridData(['sky', 'bag'], 2);
    const passes = base.passes.map((p, i) => (i === 0 ? { ...p, maxChange: 20 } : { ...p, picked: 1 }));
    const data = {
      ...base,
      passes,
      nodes: [
        nodeOf('sky@r0', 0, 0, { state: 'up-to-date', why: null }),
        nodeOf('bag@r0', 1, 0, { state: 'running', why: null }),
        nodeOf('sky@r1', 0, 1, { state: 'failed', why: 'Request moderated' }),
        nodeOf('bag@r1', 1, 1),
      ],
    };
    const page = await browser.page({ width: 1024, height: 640 });
    // The running chip at the middle of its pulse: before, its text at opacity .55.
    await page.goto(await pageOf(data, dir));
    await page.evaluate(() => {
      for (const a of document.getAnimations()) {
        a.pause();
        a.currentTime = 600;
      }
    });
    await page.screenshot({ path: join(ARTIFACTS, 'report-contrast.png') });
    expect(await lowContrast(page, '#top')).toEqual([]);
    expect(await lowContrast(page, '#grid')).toEqual([]);
    // The keyboard's focus ring: solid, 4.9:1 on white (before, the accent at a third: 1.6:1; walk-w 11).
    await page.keyboard.press('ArrowDown');
    const ring = await page.evaluate(() => {
      for (const a of document.getAnimations()) if (a instanceof CSSTransition) a.finish(); // its 0.12 s one
      return getComputedStyle(document.activeElement as Element).boxShadow;
    });
    expect(ring).toBe('rgb(47, 111, 235) 0px 0px 0px 2px');
    await page.click('.tile[data-id="sky@r0"]');
    expect(await lowContrast(page, '#viewer')).toEqual([]);
    await page.close();
  });
});
