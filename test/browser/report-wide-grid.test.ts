/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Page functions run in the browser: DOM types for the code inside page.evaluate().
/**
 * A grid wider than the window scrolls sideways in its own box (`main`), under the header; the
 * document itself never gets wider than the window. Before, the document scrolled: on a phone
 * (isMobile) Chrome widened the layout viewport to the grid's width, so the fixed viewer took that
 * width and its close button's focus scrolled it to its right edge: a blank dark screen (walk-w
 * 1); on a desktop window the sticky header scrolled off sideways with the grid, the recipe name
 * and counts out of sight and its right part transparent over the tiles (walk-w 2).
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../src/index.js';
import { createProject, recipeYaml, runIn, testRuntime, type Project } from '../helpers/run-fixtures.js';
import { ARTIFACTS, useBrowser } from './chromium.js';

const PASSES = ['sky', 'scarf', 'hat', 'bag', 'snow', 'glow', 'frame', 'tint'] as const;

const browser = useBrowser();
let project: Project | undefined;
let index = '';
beforeAll(async () => {
  const p = (project = await createProject(
    recipeYaml(PASSES.map((id, i) => [id, `Keep the face unchanged. Edit number ${i}.`] as const)),
  ));
  await runIn(p);
  index = pathToFileURL((await writeReport(p.recipe, {}, { rt: testRuntime(p.root) })).index).href;
}, 120_000);
afterAll(async () => {
  await project?.cleanup();
});

describe('a grid wider than the window', () => {
  it('on a phone: the page stays the width of the screen, and the viewer shows the image in it', async () => {
    const page = await browser.page({ width: 390, height: 844 }, true);
    await page.goto(index);
    const widths = await page.evaluate(() => ({
      window: window.innerWidth,
      document: document.documentElement.scrollWidth,
      grid: (document.getElementById('grid') as HTMLElement).scrollWidth,
    }));
    expect(widths.grid).toBeGreaterThan(1000);
    // Before: 1571 and 1571 (Chrome widened the layout viewport to the document).
    expect(widths.window).toBe(390);
    expect(widths.document).toBe(390);
    await page.locator('.tile[data-id="tint"]').click();
    await page.waitForFunction(() => {
      const imgs = [...document.querySelectorAll<HTMLImageElement>('#v-stage img')];
      return imgs.length === 2 && imgs.every((i) => i.complete && i.naturalWidth > 0);
    });
    await page.screenshot({ path: join(ARTIFACTS, 'report-wide-phone-viewer.png') });
    const seen = await page.evaluate(() => {
      const f = (document.querySelector('#v-stage .frame') as HTMLElement).getBoundingClientRect();
      const v = (document.getElementById('viewer') as HTMLElement).getBoundingClientRect();
      return { scrollX: window.scrollX, viewer: [v.left, v.right], frame: [f.left, f.right, f.height] };
    });
    expect(seen.scrollX, JSON.stringify(seen)).toBe(0);
    expect(seen.viewer).toEqual([0, 390]);
    const [left = -1, right = 1e9, height = 0] = seen.frame;
    expect(left, JSON.stringify(seen)).toBeGreaterThanOrEqual(0);
    expect(right, JSON.stringify(seen)).toBeLessThanOrEqual(390);
    expect(height).toBeGreaterThanOrEqual(844 / 3);
    await page.close();
  });

  it('scrolled sideways: the header stays whole over the window, the row headers stuck', async () => {
    const page = await browser.page({ width: 1024, height: 768 });
    await page.goto(index);
    const seen = await page.evaluate(() => {
      // Whichever scrolls: before, the document; now the grid's box.
      window.scrollTo(600, 500);
      const main = document.querySelector('main') as HTMLElement;
      main.scrollTo(600, 500);
      const top = (document.getElementById('top') as HTMLElement).getBoundingClientRect();
      const h1 = (document.querySelector('#top h1') as HTMLElement).getBoundingClientRect();
      const at = (x: number, y: number): boolean => document.elementFromPoint(x, y)?.closest('#top') !== null;
      const rowh = (document.querySelector('.rowh') as HTMLElement).getBoundingClientRect();
      const box = main.getBoundingClientRect();
      return {
        scrolled: main.scrollLeft,
        document: document.documentElement.scrollWidth,
        top: [top.left, top.right],
        h1Seen: h1.left >= 0 && at(h1.left + 2, h1.top + h1.height / 2),
        rightSeen: at(1010, top.top + 5),
        rowhLeft: rowh.left - box.left,
      };
    });
    await page.screenshot({ path: join(ARTIFACTS, 'report-wide-scrolled.png') });
    const why = JSON.stringify(seen);
    expect(seen.scrolled, why).toBe(600);
    expect(seen.document, why).toBe(1024);
    // Before: {left: -600, right: 424}, the name scrolled off and the right 600 px showing the tiles.
    expect(seen.top, why).toEqual([0, 1024]);
    expect(seen.h1Seen, why).toBe(true);
    expect(seen.rightSeen, why).toBe(true);
    expect(Math.abs(seen.rowhLeft), why).toBeLessThan(1);
    await page.close();
  });
});
