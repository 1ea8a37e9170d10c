/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Page functions run in the browser: DOM types for the code inside page.evaluate().
/**
 * The viewer of a node whose upstream output was changed by hand, in Chromium: its "before" is
 * the image the node was made from and its figures measured against (a preview from the cache),
 * on the static page and on the served one (whose allow-list must let the preview through); with
 * that image gone from the cache, the footer says the before image is not what was measured.
 * Before, both showed the edited file beside "changed 74 %" unsaid.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { startReportServer, writeReport, type ReportServer } from '../../src/index.js';
import {
  ASSETS,
  createProject,
  recipeYaml,
  runIn,
  sha256File,
  testRuntime,
  type Project,
} from '../helpers/run-fixtures.js';
import { ARTIFACTS, useBrowser } from './chromium.js';

const browser = useBrowser();
let project: Project | undefined;
let server: ReportServer | undefined;
afterAll(async () => {
  await server?.close();
  await project?.cleanup();
});

/** Open hat's viewer with the before image alone; its src, whether it loaded, and the footer's text. */
async function hatBefore(url: string, shot: string): Promise<{ src: string; loaded: boolean; foot: string }> {
  const page: Page = await browser.page({ width: 900, height: 700 });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.click('.tile[data-id="hat"]');
  await page.getByRole('button', { name: 'before', exact: true }).click({ timeout: 5_000 });
  await page.waitForFunction(() => {
    const img = document.querySelector<HTMLImageElement>('#v-stage img');
    return img?.complete === true;
  });
  await page.screenshot({ path: join(ARTIFACTS, `report-modified-input-${shot}.png`) });
  const seen = await page.evaluate(() => {
    const img = document.querySelector<HTMLImageElement>('#v-stage img') as HTMLImageElement;
    return {
      src: img.getAttribute('src') ?? '',
      loaded: img.naturalWidth > 0,
      foot: document.querySelector('#v-foot')?.textContent ?? '',
    };
  });
  expect(errors).toEqual([]);
  await page.close();
  return seen;
}

describe('the viewer of a node whose input was changed by hand', () => {
  it('shows as before what the node was made from, static and served, or says it cannot', async () => {
    const p = (project = await createProject(
      recipeYaml([
        ['sky', 'Keep the face unchanged. Make the sky orange.'],
        ['hat', 'Keep the face unchanged. Add a red hat.'],
      ]),
    ));
    await runIn(p);
    const skyFile = join(p.outDir, 'sky', 'photo.png');
    const skySha = await sha256File(skyFile);
    await sharp(join(ASSETS, 'portrait-astronaut.jpg')).png().toFile(skyFile);

    const report = await writeReport(p.recipe, {}, { rt: testRuntime(p.root) });
    const preview = `inputs/${skySha}.webp`;
    const fromFile = await hatBefore(pathToFileURL(report.index).href, 'static');
    expect(fromFile).toMatchObject({ src: preview, loaded: true });
    expect(fromFile.foot).not.toContain('before:');

    server = await startReportServer(p.recipe, { port: 0 }, { rt: testRuntime(p.root) });
    await server.ready;
    const served = await hatBefore(server.url, 'served');
    expect(served).toMatchObject({ src: preview, loaded: true });
    await server.close();
    server = undefined;

    // The bytes hat was made from gone from the cache: the edited file, and the footer says so.
    await rm(join(p.cacheDir, 'blobs', skySha.slice(0, 2), skySha));
    const again = await writeReport(p.recipe, {}, { rt: testRuntime(p.root) });
    const without = await hatBefore(pathToFileURL(again.index).href, 'no-blob');
    expect(without).toMatchObject({ src: '../sky/photo.png', loaded: true });
    expect(without.foot).toContain("before: sky's output as changed by hand, not the image this node was made from");
  });
});
