/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Page functions run in the browser: DOM types for the code inside page.evaluate().
/**
 * The before/after viewer on small screens: its header (the split / before / after / change map
 * buttons) and its footer (the prompt) wrap to more lines there, and the image takes what is
 * left. Before, the stage had a fixed `calc(100vh - 150px)` and an uncapped prompt: at 1024×640
 * and 800×600 the image covered the buttons and the prompt, a click on "before" landed on the
 * image. Header, image and footer boxes must not intersect; each button is what is under its
 * centre; a long prompt scrolls inside a capped box. The image is fitted again when the footer
 * grows by the note of a re-framed input, written once the input has loaded (walk-al 4).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../src/index.js';
import { createProject, recipeYaml, runIn, testRuntime, type Project } from '../helpers/run-fixtures.js';
import { ARTIFACTS, useBrowser } from './chromium.js';
import { gridData, nodeOf, pageOf } from './page-data.js';

const LONG = Array.from({ length: 10 }, (_, i) => `Keep the face unchanged and add a small detail number ${i}.`).join(
  ' ',
);

const browser = useBrowser();
let project: Project | undefined;
afterAll(async () => {
  await project?.cleanup();
});

interface Box {
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
}

const overlap = (a: Box, b: Box): boolean =>
  a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5 && a.left < b.right - 0.5 && b.left < a.right - 0.5;

/** The boxes of the open viewer, and which header buttons are not what is under their own centre. */
async function layout(page: Page): Promise<{
  head: Box;
  image: Box;
  foot: Box;
  prompt: Box;
  promptScrolls: boolean;
  hidden: string[];
}> {
  return page.evaluate(() => {
    const box = (sel: string): Box => {
      const r = (document.querySelector(sel) as HTMLElement).getBoundingClientRect();
      return { top: r.top, bottom: r.bottom, left: r.left, right: r.right };
    };
    const hidden = [...document.querySelectorAll<HTMLButtonElement>('#v-head button')]
      .filter((b) => {
        const r = b.getBoundingClientRect();
        return document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) !== b;
      })
      .map((b) => b.textContent ?? '');
    const prompt = document.querySelector('#v-foot .prompt') as HTMLElement;
    return {
      head: box('#v-head'),
      image: box('#v-stage .frame'),
      foot: box('#v-foot'),
      prompt: box('#v-foot .prompt'),
      promptScrolls: prompt.scrollHeight > prompt.clientHeight,
      hidden,
    };
  });
}

describe('the viewer on small screens', () => {
  it('keeps the image off its header buttons and its prompt, at 1024×640, 800×600 and 320×480', async () => {
    const p = (project = await createProject(
      recipeYaml([
        ['sky', 'Keep the face unchanged. Make the sky orange.'],
        ['long', LONG],
      ]),
    ));
    await runIn(p);
    const report = await writeReport(p.recipe, {}, { rt: testRuntime(p.root) });
    for (const [width, height] of [
      [1024, 640],
      [800, 600],
      [320, 480],
    ] as const) {
      const page = await browser.page({ width, height });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(pathToFileURL(report.index).href);
      for (const id of ['sky', 'long']) {
        await page.click(`.tile[data-id="${id}"]`);
        await page.waitForFunction(() => {
          const imgs = [...document.querySelectorAll<HTMLImageElement>('#v-stage img')];
          return imgs.length === 2 && imgs.every((i) => i.complete && i.naturalWidth > 0);
        });
        await page.screenshot({ path: join(ARTIFACTS, `report-viewer-${width}x${height}-${id}.png`) });
        const l = await layout(page);
        const where = `${width}x${height} ${id}: ${JSON.stringify(l)}`;
        expect(overlap(l.head, l.image), where).toBe(false);
        expect(overlap(l.image, l.foot), where).toBe(false);
        expect(overlap(l.image, l.prompt), where).toBe(false);
        expect(l.image.bottom - l.image.top, where).toBeGreaterThan(100); // the image is still there
        // A phone-sized window: the footer (prompt, input, figures, slider) scrolls inside at most
        // 40 % of it, so the image keeps a usable share. Before, 270 px of footer left 54 px at 320×480.
        expect(l.image.bottom - l.image.top, where).toBeGreaterThanOrEqual(height / 3);
        expect(l.foot.bottom - l.foot.top, where).toBeLessThanOrEqual(height * 0.4 + 0.5);
        expect(l.hidden, where).toEqual([]);
        // The long prompt is capped at a few lines and scrolls; the short one does not.
        expect(l.prompt.bottom - l.prompt.top, where).toBeLessThan(100);
        expect(l.promptScrolls, where).toBe(id === 'long');
        // A click on "before" reaches the button: the input alone is shown.
        await page.getByRole('button', { name: 'before', exact: true }).click({ timeout: 5_000 });
        expect(await page.locator('#v-stage img').getAttribute('alt')).toBe('input');
        await page.getByRole('button', { name: 'split', exact: true }).click({ timeout: 5_000 });
        await page.keyboard.press('Escape');
      }
      expect(errors).toEqual([]);
      await page.close();
    }
  });

  it('fits the image again when the footer grows by the crop note (a re-framed input, walk-al 4)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kontext-report-reframe-'));
    try {
      await mkdir(join(dir, 'report', 'inputs'), { recursive: true });
      await mkdir(join(dir, 'wide'), { recursive: true });
      const plain = { r: 40, g: 90, b: 160 };
      await sharp({ create: { width: 160, height: 90, channels: 3, background: plain } })
        .png()
        .toFile(join(dir, 'wide', 'out.png'));
      // A portrait input, large and noisy so it loads after the small output: the note comes once the
      // frame was fitted to the output, and the footer grows by a line.
      await sharp(randomBytes(2136 * 3200 * 3), { raw: { width: 2136, height: 3200, channels: 3 } })
        .png()
        .toFile(join(dir, 'report', 'inputs', 'in.png'));
      const review = { metric: 'cie76-lab-4', threshold: 10, changed_pct: 60, chain_changed_pct: 60, map: null };
      const base = gridData(['wide'], 1);
      const data = {
        ...base,
        nodes: [
          nodeOf('wide', 0, 0, {
            state: 'up-to-date',
            why: null,
            img: '../wide/out.png',
            input: 'inputs/in.png',
            review: { ...review, map_sha256: 'a'.repeat(64), width: 1600, height: 900 },
          }),
        ],
      };
      const page = await browser.page({ width: 1440, height: 900 });
      await page.goto(await pageOf(data, dir));
      await page.click('.tile[data-id="wide"]');
      await expect.poll(() => page.locator('#v-crop').textContent()).toContain('input 2136×3200, laid centre-cropped');
      // Two frames for the ResizeObserver's refit.
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      await page.screenshot({ path: join(ARTIFACTS, 'report-viewer-reframed.png') });
      const l = await layout(page);
      const where = JSON.stringify(l);
      // Before: frame 37–833 in a stage of 55–816, over the header's border and the footer's top.
      expect(overlap(l.head, l.image), where).toBe(false);
      expect(overlap(l.image, l.foot), where).toBe(false);
      expect(l.image.bottom - l.image.top, where).toBeGreaterThan(500);
      await page.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
