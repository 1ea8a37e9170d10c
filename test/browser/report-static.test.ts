/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Page functions run in the browser: DOM types for the code inside page.evaluate().
/**
 * The static review sheet in Chromium, opened from `file://` after a run of the portrait example
 * (a chain, a branch, three variants) plus a pass with a hostile prompt: every image loads, one
 * tile per node, no script error or CSP violation, no dialog from the prompt, arrows move
 * between tiles, Enter opens the before/after viewer (both images load), Esc closes it and gives
 * focus back. A served page's errors (a recipe saved invalid) show above the grid as text.
 * Saves screenshots to test-artifacts/.
 */
import { readFile, writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { buildPlan, loadRecipe, writeReport, type ReportData } from '../../src/index.js';
import { renderPage } from '../../src/report/html.js';
import { createProject, EXAMPLES, runIn, testRuntime, type Project } from '../helpers/run-fixtures.js';
import { ARTIFACTS, useBrowser } from './chromium.js';

const HOSTILE =
  'Keep the face unchanged. Add a sign reading "<img src=x onerror=alert(1)></script><script>alert(2)</script>"';

const browser = useBrowser();
let project: Project | undefined;
afterAll(async () => {
  await project?.cleanup();
});

const activeId = (page: Page): Promise<string | null> =>
  page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset['id'] ?? null);

describe('the static report in Chromium (file://)', () => {
  it('loads every image, one tile per node; arrows, Enter and Esc work; prompts stay text', async () => {
    const example = await readFile(join(EXAMPLES, 'portrait.yml'), 'utf8');
    // The hostile pass may change at most 1 % of the image: its review (made by the run) is drift.
    const sign = ['  - id: sign', '    from: umbrella', '    max_change: 1%', `    prompt: ${JSON.stringify(HOSTILE)}`];
    const yaml = `${example}${sign.join('\n')}\n`;
    const p = (project = await createProject(yaml, 'portrait'));
    await runIn(p);
    const rt = testRuntime(p.root);
    const nodes = buildPlan(await loadRecipe(p.recipe, { rt })).nodes.length;
    const report = await writeReport(p.recipe, {}, { rt });
    expect(report.data.counts).toMatchObject({ nodes, 'up-to-date': nodes });
    // Each paid result's price is kept in its record: the header totals them.
    expect(report.data.costUnpriced).toBe(0);
    const cost = report.data.costUsd ?? Number.NaN;
    expect(cost).toBeGreaterThan(0);

    const page = await browser.page({ width: 1500, height: 900 });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    await page.goto(pathToFileURL(report.index).href);
    await page.waitForFunction((n) => document.querySelectorAll('.tile').length === n, nodes);
    expect(await page.locator('.tile').count()).toBe(nodes);
    expect(await page.locator('.top .sum', { hasText: 'cost' }).locator('b').textContent()).toBe(
      `$${cost.toFixed(cost < 0.1 ? 3 : 2)}`,
    );
    await page.waitForFunction(() => [...document.images].every((i) => i.complete), undefined, { timeout: 20_000 });
    const images = await page.evaluate(() => [...document.images].map((i) => [i.getAttribute('src'), i.naturalWidth]));
    expect(images.length).toBe(nodes + 1); // each node and the source
    for (const [src, width] of images) expect(width, String(src)).toBeGreaterThan(0);
    await expect.poll(() => page.locator('.colh .prompt').nth(3).textContent()).toBe(HOSTILE);
    // Every node's run record has a change review: its figure on the tile, and drift only where max_change is set.
    expect(await page.locator('.tile .pct').count()).toBe(nodes);
    expect(await page.locator('.drift-mark').count()).toBe(1);
    expect(await page.locator('.tile[data-id="sign"] .drift-mark').textContent()).toBe('DRIFT');
    expect(report.data.counts.drift).toBe(1);
    expect(report.data.nodes.every((n) => n.review?.map?.startsWith('maps/'))).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });

    // Arrows: along the row (a branch's variants side by side), then Enter opens the viewer.
    await page.focus('.tile[data-id="background"]');
    const path: (string | null)[] = [];
    for (const key of ['ArrowRight', 'ArrowRight', 'ArrowRight', 'ArrowRight', 'ArrowLeft']) {
      await page.keyboard.press(key);
      path.push(await activeId(page));
    }
    expect(path).toEqual(['raincoat', 'umbrella', 'sign', 'bag#1', 'sign']);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    const viewer = page.locator('#viewer');
    await expect.poll(() => viewer.isVisible()).toBe(true);
    await page.waitForFunction(() => {
      const imgs = [...document.querySelectorAll<HTMLImageElement>('#v-stage img')];
      return imgs.length === 2 && imgs.every((i) => i.complete && i.naturalWidth > 0);
    });
    expect(await page.locator('#v-head .nid').textContent()).toBe('bag#2');
    expect(await page.locator('#v-stage img.after').getAttribute('src')).toBe('../bag/astronaut-v2.png');
    expect(await page.locator('#v-stage img.base').getAttribute('src')).toBe('../raincoat/astronaut.png');
    await page.screenshot({ path: join(ARTIFACTS, 'report-viewer.png') });
    // In the viewer the arrows move the split between input and output.
    await page.keyboard.press('ArrowLeft');
    expect(await page.locator('#v-stage img.after').evaluate((e) => (e as HTMLElement).style.clipPath)).toBe(
      'inset(0px 0px 0px 45%)',
    );
    // The change map (the run's blob, copied into the report) over the image.
    await page.keyboard.press('m');
    await page.waitForFunction(() => {
      const m = document.querySelector<HTMLImageElement>('#v-stage img.map');
      return m?.complete === true && m.naturalWidth > 0;
    });
    // In the split, over the output's half only, and under the before/after tags (walk-w 11).
    await page.keyboard.press('ArrowRight');
    expect(
      await page.evaluate(() => {
        const m = document.querySelector<HTMLElement>('#v-stage img.map');
        const bar = document.querySelector('#v-stage .bar');
        const under = !!m && !!bar && (m.compareDocumentPosition(bar) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
        return { clip: m?.style.clipPath, under };
      }),
    ).toEqual({ clip: 'inset(0px 0px 0px 50%)', under: true });
    await page.screenshot({ path: join(ARTIFACTS, 'report-viewer-map.png') });
    await page.keyboard.press('m');
    // The toggle shows the input alone.
    await page.getByRole('button', { name: 'before', exact: true }).click();
    expect(await page.locator('#v-stage img').getAttribute('src')).toBe('../raincoat/astronaut.png');
    await page.keyboard.press('Escape');
    await expect.poll(() => viewer.isVisible()).toBe(false);
    expect(await activeId(page)).toBe('bag#2');

    // A click opens it too. `background` changed the shape (the emulator answers a square source
    // with a portrait): the split lays both on one frame of the output's shape, the input
    // centre-cropped as the review compares it, so nothing of the input shows beside the output.
    await page.click('.tile[data-id="background"]');
    await expect.poll(() => viewer.isVisible()).toBe(true);
    await page.getByRole('button', { name: 'split', exact: true }).click(); // the toggle above left it on "before"
    await page.waitForFunction(() => {
      const imgs = [...document.querySelectorAll<HTMLImageElement>('#v-stage img')];
      return imgs.length === 2 && imgs.every((i) => i.complete && i.naturalWidth > 0);
    });
    const shapes = await page.evaluate(() => {
      const box = (sel: string) => (document.querySelector(sel) as HTMLElement).getBoundingClientRect();
      const img = (sel: string) => document.querySelector(sel) as HTMLImageElement;
      const shape = (w: number, h: number) => Math.round((100 * w) / h) / 100;
      return {
        input: shape(img('#v-stage img.base').naturalWidth, img('#v-stage img.base').naturalHeight),
        output: shape(img('#v-stage img.after').naturalWidth, img('#v-stage img.after').naturalHeight),
        frame: shape(box('#v-stage .frame').width, box('#v-stage .frame').height),
        shownOutput: shape(box('#v-stage img.after').width, box('#v-stage img.after').height),
        shownInput: shape(box('#v-stage img.base').width, box('#v-stage img.base').height),
        inputFit: getComputedStyle(img('#v-stage img.base')).objectFit,
      };
    });
    expect(shapes.input).not.toBe(shapes.output);
    expect(shapes).toMatchObject({ frame: shapes.output, shownOutput: shapes.output, shownInput: shapes.output });
    expect(shapes.inputFit).toBe('cover');
    await expect.poll(() => page.locator('#v-crop').textContent()).toMatch(/centre-cropped on the output/);
    await page.screenshot({ path: join(ARTIFACTS, 'report-viewer-reshaped.png') });
    await page.keyboard.press('Escape');
    await expect.poll(() => viewer.isVisible()).toBe(false);
    await page.click('.tile[data-id="umbrella"]');
    await expect.poll(() => viewer.isVisible()).toBe(true);
    expect(await page.locator('#v-crop').textContent()).toBe('');
    await page.keyboard.press('Escape');
    await expect.poll(() => viewer.isVisible()).toBe(false);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a change review: its figures, a red drift mark over max_change, the change map as an overlay', async () => {
    // The page as the report renders it for a record with a review (the shape of RunRecord.review).
    const p = project as Project;
    const report = await writeReport(p.recipe, {}, { rt: testRuntime(p.root) });
    const map = `maps/${'c'.repeat(64)}.png`;
    const red = { r: 255, g: 0, b: 0, alpha: 0.6 };
    await sharp({ create: { width: 64, height: 80, channels: 4, background: red } })
      .png()
      .toFile(join(report.dir, map));
    const review = {
      metric: 'cie76-lab',
      threshold: 10,
      changed_pct: 34.5,
      chain_changed_pct: 61.25,
      width: 64,
      height: 80,
    };
    const data: ReportData = {
      ...report.data,
      counts: { ...report.data.counts, drift: report.data.counts.drift + 1 },
      passes: report.data.passes.map((x) => (x.id === 'bag' ? { ...x, maxChange: 25 } : x)),
      nodes: report.data.nodes.map((n) =>
        n.id === 'bag#2'
          ? { ...n, drift: true, review: { ...review, map, map_sha256: 'c'.repeat(64), fit: 'contain' as const } }
          : n,
      ),
    };
    const file = join(report.dir, 'review.html');
    await writeFile(file, renderPage(data));
    const page = await browser.page({ width: 1500, height: 900 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(file).href);
    const tile = page.locator('.tile[data-id="bag#2"]');
    await tile.waitFor();
    expect(await tile.locator('.drift-mark').textContent()).toBe('DRIFT');
    expect(await tile.locator('.pct.bad').textContent()).toBe('\u0394 34.5%');
    expect(await tile.locator('.chg').textContent()).toBe('chain \u0394 61.3%');
    expect(await page.locator('.top .s-drift').textContent()).toBe('2 drift'); // and sign's, from the run
    expect(await page.locator('.colh', { hasText: 'max 25%' }).count()).toBe(1);
    expect(await page.locator('.drift-mark').count()).toBe(2);
    await page.screenshot({ path: join(ARTIFACTS, 'report-drift.png') });
    await tile.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'change map' }).click();
    await page.waitForFunction(() => {
      const m = document.querySelector<HTMLImageElement>('#v-stage img.map');
      return m?.complete === true && m.naturalWidth === 64;
    });
    expect(await page.locator('#v-foot').textContent()).toContain(
      'changed 34.5% \u00b7 chain 61.3% (cie76-lab, threshold 10)',
    );
    await page.screenshot({ path: join(ARTIFACTS, 'report-drift-viewer.png') });
    // The review compared the input fitted inside the output's box: the viewer lays it the same way.
    expect(await page.locator('#v-stage img.base').evaluate((e) => getComputedStyle(e).objectFit)).toBe('contain');
    await page.keyboard.press('m');
    expect(await page.locator('#v-stage img.map').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("a served page's errors (a recipe saved invalid): named above the last good plan, as text", async () => {
    const p = project as Project;
    const report = await writeReport(p.recipe, {}, { rt: testRuntime(p.root) });
    const hostile = 'recipe.yml:3:1: unknown key "<img src=x onerror=alert(1)>"';
    const page = await browser.page({ width: 1500, height: 900 });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    const show = async (data: ReportData): Promise<void> => {
      const file = join(report.dir, 'errors.html');
      await writeFile(file, renderPage(data));
      await page.goto(pathToFileURL(file).href);
      await page.locator('.errs').waitFor();
    };
    await show({ ...report.data, errors: [hostile, 'recipe.yml:9:5: passes[0].seed: expected a number'] });
    const box = page.getByRole('alert');
    expect(await box.locator('b').textContent()).toMatch(
      /cannot be used as saved; this page shows its last good plan$/,
    );
    expect(await box.locator('li').allTextContents()).toEqual([
      hostile,
      'recipe.yml:9:5: passes[0].seed: expected a number',
    ]);
    expect(await page.locator('.tile').count()).toBe(report.data.nodes.length);
    await page.screenshot({ path: join(ARTIFACTS, 'report-errors.png') });
    // A recipe never usable since the server started: no plan yet.
    await show({ ...report.data, passes: [], rows: [], nodes: [], errors: [hostile] });
    expect(await page.getByRole('alert').locator('b').textContent()).toMatch(/this page fills in once it can$/);
    expect(await page.locator('.empty-note').textContent()).toBe('No plan yet.');
    expect(problems).toEqual([]);
    await page.close();
  });
});
