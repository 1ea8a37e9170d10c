/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Page functions run in the browser: DOM types for the code inside page.evaluate().
/**
 * The static report taken away from where it was written: its `report/` folder copied alone
 * elsewhere (as one zips the folder holding `index.html` to send it) and opened from `file://`.
 * The thumbnails, previews and change maps travel with it; the full images are the outputs in
 * the out folder (`../<pass>/<file>`), which did not. Before, the viewer showed two dead images
 * (a blank stage with a broken-image icon); now it shows the thumbnails and says why.
 */
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../src/index.js';
import { tempDir } from '../helpers/e2e-kit.js';
import { createProject, recipeYaml, runIn, testRuntime, type Project } from '../helpers/run-fixtures.js';
import { ARTIFACTS, useBrowser } from './chromium.js';

const browser = useBrowser();
let project: Project | undefined;
afterAll(async () => {
  await project?.cleanup();
});

describe('a report folder moved away from its out folder', () => {
  it('the viewer shows the thumbnails of the output and its input, and says the full images are missing', async () => {
    const p = (project = await createProject(
      recipeYaml([
        ['sky', 'Keep the face unchanged. Make the sky orange.'],
        ['bag', 'Keep the face unchanged. Add a brown bag.'],
      ]),
    ));
    await runIn(p);
    const report = await writeReport(p.recipe, {}, { rt: testRuntime(p.root) });
    const away = join(await tempDir('report-moved'), 'report');
    await cp(join(p.outDir, 'report'), away, { recursive: true });

    const page = await browser.page({ width: 1200, height: 800 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(join(away, 'index.html')).href);
    expect(report.data.nodes.find((n) => n.id === 'bag')?.img).toBe('../bag/photo.png');
    await page.click('.tile[data-id="bag"]');
    const loaded = (): Promise<(string | null)[]> =>
      page.evaluate(() =>
        [...document.querySelectorAll<HTMLImageElement>('#v-stage img')]
          .filter((i) => i.complete && i.naturalWidth > 0)
          .map((i) => i.getAttribute('src')),
      );
    await expect.poll(loaded, { timeout: 10_000 }).toHaveLength(2); // before: both were dead
    expect((await loaded()).every((src) => src?.startsWith('thumbs/'))).toBe(true);
    expect(await page.textContent('#v-small')).toMatch(/^full-size image not found beside this page/);
    await page.screenshot({ path: join(ARTIFACTS, 'report-moved-viewer.png') });
    // Where the full images are, they are shown, and nothing is said.
    await page.goto(pathToFileURL(report.index).href);
    await page.click('.tile[data-id="bag"]');
    await expect.poll(loaded, { timeout: 10_000 }).toEqual(['../sky/photo.png', '../bag/photo.png']);
    expect(await page.textContent('#v-small')).toBe('');
    expect(errors).toEqual([]);
    await page.close();
  });
});
