/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Page functions run in the browser: DOM types for the code inside page.evaluate().
/**
 * The viewer keeps the keyboard's focus (walk-w 3). Before, every live push tore it down and
 * built it again, whether its node had changed or not, and so did Enter on its `before` button and
 * the `b` and `m` keys, on the static page too: the focus fell to the page's body, and the next
 * Tab started again from the top of the page behind the viewer. Now a mode or the map toggled
 * updates the buttons in place; a push draws the viewer again only when its node changed, and then
 * the focus goes back to the control of the same name.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../src/index.js';
import { createProject, recipeYaml, runIn, testRuntime, until, type Project } from '../helpers/run-fixtures.js';
import { watchRecipe } from '../integration/watch/harness.js';
import { ARTIFACTS, useBrowser } from './chromium.js';
import { useWatchServe } from './watch-serve.js';

const A = 'Keep the face unchanged. Make the sky orange.';
const B = 'Keep the face unchanged. Add a red scarf.';
const C = 'Keep everything else unchanged. Add falling snow.';
const C2 = 'Keep everything else unchanged. Add falling rain.';

const browser = useBrowser();
const serve = useWatchServe(300);
let project: Project | undefined;
afterAll(async () => {
  await project?.cleanup();
});

/** The focused element: its text and whether it is in the open viewer. */
const focused = (page: Page) =>
  page.evaluate(() => {
    const a = document.activeElement as HTMLElement;
    return {
      tag: a.tagName,
      text: a.textContent,
      inViewer: (document.getElementById('viewer') as HTMLElement).contains(a),
    };
  });

const pressed = (page: Page) =>
  page.evaluate(() =>
    [...document.querySelectorAll<HTMLButtonElement>('#v-head button[aria-pressed=true]')].map((b) => b.textContent),
  );

describe('the focus in the viewer', () => {
  it('Enter on "before", then b and m: the focus stays on the button, which says it is pressed', async () => {
    const p = (project = await createProject(
      recipeYaml([
        ['sky', A],
        ['scarf', B, 'max_change: 5%'],
      ]),
    ));
    await runIn(p);
    const report = await writeReport(p.recipe, {}, { rt: testRuntime(p.root) });
    const page = await browser.page({ width: 1024, height: 700 });
    await page.goto(pathToFileURL(report.index).href);
    await page.locator('.tile[data-id="scarf"]').click();
    await page.getByRole('button', { name: 'before', exact: true }).focus();
    await page.keyboard.press('Enter');
    // Before: BODY.
    expect(await focused(page)).toEqual({ tag: 'BUTTON', text: 'before', inViewer: true });
    expect(await pressed(page)).toEqual(['before']);
    expect(await page.locator('#v-stage img').getAttribute('alt')).toBe('input');
    await page.keyboard.press('b');
    expect(await focused(page)).toEqual({ tag: 'BUTTON', text: 'before', inViewer: true });
    expect(await pressed(page)).toEqual(['after']);
    await page.keyboard.press('m');
    expect(await focused(page)).toEqual({ tag: 'BUTTON', text: 'before', inViewer: true });
    expect(await pressed(page)).toEqual(['after', 'change map']);
    await page.screenshot({ path: join(ARTIFACTS, 'report-viewer-focus-static.png') });
    await page.close();
  });

  it('live pushes: a viewer whose node did not change is left alone; one whose node did keeps its focus', async () => {
    const { p, url } = await serve(
      watchRecipe([
        ['a', A],
        ['b', B],
        ['c', C],
      ]),
      /done 3 · cached 0/,
    );
    const open = async (id: string): Promise<Page> => {
      const page = await browser.page({ width: 1024, height: 700 });
      await page.goto(url);
      await page.waitForFunction(() => document.querySelector('#livedot')?.classList.contains('on') === true);
      await page.locator(`.tile[data-id="${id}"]`).click();
      await page.getByRole('button', { name: 'after', exact: true }).focus();
      await page.evaluate(() => {
        (window as unknown as { was: Element | null }).was = document.activeElement;
      });
      return page;
    };
    const still = await open('a');
    const redrawn = await open('c');
    const thumb = (): Promise<string | null | undefined> =>
      redrawn.evaluate(() => document.querySelector('.tile[data-id="c"] img')?.getAttribute('src'));
    const before = await thumb();
    await p.writeRecipe(
      watchRecipe([
        ['a', A],
        ['b', B],
        ['c', C2],
      ]),
    );
    // c ran again: pushed as running, done, then with its thumbnail.
    await until(async () => (await thumb()) !== before && (await thumb()) != null, 20_000, "c's new thumbnail");
    // a did not change: the very button focused before (before: the viewer rebuilt, the focus on BODY).
    expect(
      await still.evaluate(() => document.activeElement === (window as unknown as { was: Element | null }).was),
    ).toBe(true);
    // c did: drawn again with its new image, the focus on its "after" button.
    expect(await focused(redrawn)).toEqual({ tag: 'BUTTON', text: 'after', inViewer: true });
    await until(
      () =>
        redrawn.evaluate(
          () => (document.querySelector('#v-stage img') as HTMLImageElement | null)?.src.includes('?v=') === true,
        ),
      10_000,
      "c's new image in the viewer",
    );
    await redrawn.screenshot({ path: join(ARTIFACTS, 'report-viewer-focus-live.png') });
    await still.close();
    await redrawn.close();
  });
});
