/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Page functions run in the browser: DOM types for the code inside page.evaluate().
/**
 * An output the report cannot make a thumbnail of, and the browser cannot show (here a PNG cut
 * after its first 60 bytes; the same for a 30000×30000 one, over sharp's pixel limit): the tile
 * says why, and the viewer says the output cannot be displayed and why, with the input hidden.
 * Before, the tile said "making its thumbnail…" for ever, and the split view's "after" half was
 * transparent: the unchanged input showed through under the "after" label.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../src/index.js';
import { createProject, recipeYaml, runIn, testRuntime, type Project } from '../helpers/run-fixtures.js';
import { ARTIFACTS, useBrowser } from './chromium.js';

const browser = useBrowser();
let project: Project | undefined;
afterAll(async () => {
  await project?.cleanup();
});

describe('an output that cannot be decoded', () => {
  it('its tile and its viewer say why; the input does not show through as the output', async () => {
    const p = (project = await createProject(recipeYaml([['sky', 'Keep the face unchanged. Make the sky orange.']])));
    await runIn(p);
    const output = join(p.outDir, 'sky', 'photo.png');
    await writeFile(output, (await readFile(output)).subarray(0, 60));
    const report = await writeReport(p.recipe, {}, { rt: testRuntime(p.root) });
    const sky = report.data.nodes.find((n) => n.id === 'sky');
    expect(sky).toMatchObject({ state: 'modified', img: '../sky/photo.png', thumb: null });
    expect(sky?.noThumb).toMatch(/^the image cannot be decoded \(damaged, truncated or not an image: .+\)$/);
    expect(sky?.noThumb).not.toContain(p.root); // the page is sent around: no path of this machine

    const page = await browser.page({ width: 1200, height: 800 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(report.index).href);
    const tile = page.locator('.tile[data-id="sky"]');
    expect(await tile.locator('.th .none').textContent()).toBe(`no thumbnail: ${sky?.noThumb}`);
    await page.screenshot({ path: join(ARTIFACTS, 'report-undecodable.png') });
    await tile.click();
    const note = page.locator('#v-stage .empty-note');
    await expect.poll(() => note.count(), { timeout: 10_000 }).toBe(1);
    expect(await note.textContent()).toBe(`This output cannot be displayed: ${sky?.noThumb}`);
    // Before: the input under the "after" label, as if the output were unchanged.
    expect(await page.locator('#v-stage img').count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, 'report-undecodable-viewer.png') });
    // The input is still there to see, on its own.
    await page.getByRole('button', { name: 'before', exact: true }).click();
    await page.waitForFunction(() => {
      const i = document.querySelector<HTMLImageElement>('#v-stage img.before');
      return i?.complete === true && i.naturalWidth > 0;
    });
    expect(errors).toEqual([]);
    await page.close();
  });
});
