/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Page functions run in the browser: DOM types for the code inside page.evaluate().
/**
 * The page's header (recipe, counts, the recipe's problems and warnings) is sticky, and the
 * grid's column headers stick under it at its measured height (`--toph`). Before: a long list of
 * problems (a recipe saved with 80 of them in watch mode) or 60 lint warnings opened made the
 * header taller than the window, so no tile could ever be seen or clicked; and the height was
 * measured once, so a warnings list opened after load (or a narrower window) slid the column
 * headers under the header. Warnings that are not prompt-lint's were counted as "prompt-lint
 * warnings", and a YAML syntax error said twice at one position was listed twice.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../src/index.js';
import { createProject, recipeYaml, testRuntime } from '../helpers/run-fixtures.js';
import { ARTIFACTS, useBrowser } from './chromium.js';
import { gridData, pageOf } from './page-data.js';

const PASSES = ['sky', 'scarf', 'bag'];
const lint = (i: number): string =>
  `layout.yml:${10 + i}:5: passes[${i}].prompt: the prompt is 113 words (limit 80); long prompts dilute the one ` +
  `edit Kontext should make (keep a preservation lead-in and one change) [lint/long-prompt]`;
const problem = (i: number): string => `layout.yml:${4 * i + 8}:5: passes[${i}]: unknown key "promt"`;

const browser = useBrowser();
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-report-header-'));
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Whether a tile (row `r`, scrolled to the middle of the window) is what is under its own centre. */
const tileReachable = (page: Page, r: number): Promise<boolean> =>
  page.evaluate((id) => {
    const t = document.querySelector(`.tile[data-id="${id}"]`) as HTMLElement;
    t.scrollIntoView({ block: 'center' });
    const b = t.getBoundingClientRect();
    return document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2)?.closest('.tile') === t;
  }, `scarf@r${r}`);

/**
 * With the page scrolled past the grid's top: the header's and the column headers' boxes, and
 * whether a column header is what is under its own centre (not hidden under the header).
 */
const stuck = (page: Page) =>
  page.evaluate(() => {
    const grid = document.getElementById('grid') as HTMLElement;
    window.scrollTo(0, grid.getBoundingClientRect().top + window.scrollY + 400);
    // The grid scrolls in its own box (a tall header scrolls away with the page first).
    (grid.parentElement as HTMLElement).scrollTop = 400;
    const top = (document.getElementById('top') as HTMLElement).getBoundingClientRect();
    const colh = document.querySelectorAll<HTMLElement>('.colh')[1] as HTMLElement;
    const c = colh.getBoundingClientRect();
    const under = document.elementFromPoint(c.left + c.width / 2, c.top + c.height / 2);
    return { topBottom: top.bottom, colhTop: c.top, colhSeen: under !== null && colh.contains(under) };
  });

describe('the header of the review page', () => {
  it('80 problems and 60 warnings opened: the header scrolls away, a tile can be seen and clicked', async () => {
    const errors = Array.from({ length: 80 }, (_, i) => problem(i));
    const data = gridData(PASSES, 30, { warnings: Array.from({ length: 60 }, (_, i) => lint(i)), errors });
    const page = await browser.page({ width: 1200, height: 800 });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(await pageOf(data, join(dir, 'many')));
    await page.locator('details.warn summary').click();
    // Each list scrolls inside a capped box.
    const lists = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('#top ul')].map((u) => ({
        height: u.clientHeight,
        scrolls: u.scrollHeight > u.clientHeight,
      })),
    );
    expect(lists).toHaveLength(2);
    for (const l of lists) expect(l).toMatchObject({ scrolls: true });
    for (const l of lists) expect(l.height).toBeLessThanOrEqual(800 * 0.3 + 1);
    await page.screenshot({ path: join(ARTIFACTS, 'report-header-many.png') });
    // Before: the header covered the whole window, wherever the page was scrolled.
    expect(await tileReachable(page, 0)).toBe(true);
    expect(await tileReachable(page, 20)).toBe(true);
    await page.locator('.tile[data-id="scarf@r20"]').click({ timeout: 5_000 });
    await expect.poll(() => page.locator('#viewer').isVisible()).toBe(true);
    await page.keyboard.press('Escape');
    // The header scrolled away: the column headers stick at the top of the window, in sight.
    const s = await stuck(page);
    await page.screenshot({ path: join(ARTIFACTS, 'report-header-many-scrolled.png') });
    expect(s.colhSeen, JSON.stringify(s)).toBe(true);
    expect(s.colhTop).toBeGreaterThanOrEqual(-0.5);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('warnings opened after load, a narrower window, closed again: the column headers stay just below it', async () => {
    const data = gridData(PASSES, 30, { warnings: Array.from({ length: 4 }, (_, i) => lint(i)) });
    const page = await browser.page({ width: 1200, height: 900 });
    await page.goto(await pageOf(data, join(dir, 'toggle')));
    const below = async (what: string): Promise<void> => {
      await expect
        .poll(
          async () => {
            const s = await stuck(page);
            // Sticky header: the column headers right under it, in sight (before: under it by the list's height).
            return s.colhSeen && Math.abs(s.colhTop - s.topBottom) < 1.5 ? 'below' : JSON.stringify(s);
          },
          { message: what },
        )
        .toBe('below');
    };
    await below('closed, as loaded');
    await page.locator('details.warn summary').click();
    await below('opened');
    await page.screenshot({ path: join(ARTIFACTS, 'report-header-opened.png') });
    await page.setViewportSize({ width: 760, height: 900 }); // the lines wrap: a header 70 px taller
    await below('opened, narrower');
    await page.screenshot({ path: join(ARTIFACTS, 'report-header-narrow.png') });
    await page.locator('details.warn summary').click();
    await below('closed again');
    await page.close();
  });

  it("the recipe's own warnings apart from prompt-lint's, each box named by its lines; a line said once", async () => {
    // A compound prompt (lint) and a save path ending in .jpg for a PNG output (save-format).
    const yaml = recipeYaml([
      ['sky', 'Make the sky orange. Add a red scarf.', 'save: "copies/{source}.jpg"', 'params: {output_format: png}'],
    ]);
    const p = await createProject(yaml);
    try {
      const report = await writeReport(p.recipe, {}, { rt: testRuntime(p.root) });
      expect(report.data.warnings).toEqual([expect.stringMatching(/\[lint\/compound-edit\]$/)]);
      expect(report.data.recipeWarnings).toEqual([expect.stringMatching(/^recipe\.yml:\d+:\d+: .*\[save-format\]$/)]);
      const page = await browser.page({ width: 1200, height: 800 });
      await page.goto(pathToFileURL(report.index).href);
      // Before: one box, "2 prompt-lint warnings".
      expect(await page.locator('details.warn summary').allTextContents()).toEqual([
        '1 recipe warning',
        '1 prompt-lint warning',
      ]);
      await page.screenshot({ path: join(ARTIFACTS, 'report-header-warnings.png') });
      // A served page's problems as the watch said them: a YAML error twice at one position.
      const twice = 'recipe.yml:11:5: flow map in block collection must be sufficiently indented and end with a }';
      const again = { ...report.data, errors: [twice, twice, 'recipe.yml:11:11: implicit keys need to be on a line'] };
      await page.goto(await pageOf({ ...again, warnings: [...again.warnings, ...again.warnings] }, join(dir, 'twice')));
      expect(await page.locator('#errors li').allTextContents()).toEqual([twice, again.errors[2]]);
      expect(await page.locator('details.warn summary').allTextContents()).toEqual([
        '1 recipe warning',
        '1 prompt-lint warning',
      ]);
      await page.close();
    } finally {
      await p.cleanup();
    }
  });
});
