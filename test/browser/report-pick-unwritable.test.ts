/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Page functions run in the browser: DOM types for the code inside page.evaluate().
/**
 * The served page in Chromium while it cannot be written (`out/<name>/report` a file: exit 73's
 * problem; a full or read-only disk alike) though the recipe is fine (review-i 1): the page says
 * it could not be updated, not that the recipe "cannot be used as saved", its pick buttons stay
 * enabled, and a pick is written. Before, the failure was in the data's `errors` (the recipe's
 * problems): the buttons were disabled and a pick was refused with 409 until the page could be
 * written again, though a pick writes the recipe, not the page.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startReportServer, writePick, type ReportServer } from '../../src/index.js';
import { createProject, recipeYaml, runIn, testRuntime, until, type Project } from '../helpers/run-fixtures.js';
import { ARTIFACTS, useBrowser } from './chromium.js';
import { pressPick } from './watch-serve.js';

const browser = useBrowser();
let project: Project | undefined;
let server: ReportServer | undefined;
afterAll(async () => {
  await server?.close();
  await project?.cleanup();
});

describe('run --watch --serve in Chromium: a page that cannot be written', () => {
  it('says so apart from the recipe; the pick buttons stay enabled and a pick is written', async () => {
    const p = (project = await createProject(
      recipeYaml([
        ['sky', 'Keep the face unchanged. Make the sky orange.'],
        ['bag', 'Keep the face unchanged. Add a brown bag.', 'variants: 2'],
      ]),
    ));
    await runIn(p);
    const rt = testRuntime(p.root);
    const pick = (recipe: string, node: string, expectSha256: string): Promise<unknown> =>
      writePick(recipe, node, { rt, expectSha256 });
    const s = (server = await startReportServer(p.recipe, { port: 0, pick }, { rt }));
    await s.ready;
    const page = await browser.page({ width: 1300, height: 700 });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(s.url);
    await page.waitForFunction(() => document.querySelector('#livedot')?.classList.contains('on') === true);
    await page.waitForSelector('button.pick[data-pick="bag#2"]:not([disabled])');

    await rm(join(p.outDir, 'report'), { recursive: true, force: true });
    await writeFile(join(p.outDir, 'report'), 'not a folder');
    await s.refresh();
    await page.waitForSelector('#build-errors', { timeout: 10_000 });
    expect(await page.textContent('#build-errors b')).toMatch(/^this page could not be updated/);
    expect(await page.textContent('#build-errors li')).toMatch(/out\/test\/report: it is not a folder/);
    expect(await page.textContent('#top')).not.toMatch(/cannot be used as saved/);
    expect(await page.locator('button.pick[disabled]').count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, 'report-pick-unwritable.png') });

    await pressPick(page, 'bag#2');
    await until(async () => /pick: 2/.test(await readFile(p.recipe, 'utf8')), 10_000, 'pick: 2 in the recipe');
    expect(await page.locator('#note').count()).toBe(0); // no refusal said
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
