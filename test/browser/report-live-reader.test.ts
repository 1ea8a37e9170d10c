/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Page functions run in the browser: DOM types for the code inside page.evaluate().
/**
 * A live push keeps what the reader did on the page (walk-w 4). Before, every push emptied the
 * header and drew it again, so a warnings list the reader had opened closed (the page jumped by
 * its height); and a pick made from the keyboard left the focus on the page's body (the button,
 * disabled while its pick was sent, dropped it), so the next arrow key started again from the
 * first tile. Now a list opened stays open, and the focus goes back to the picked node's button.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { until } from '../helpers/run-fixtures.js';
import { watchRecipe } from '../integration/watch/harness.js';
import { ARTIFACTS, useBrowser } from './chromium.js';
import { useWatchServe } from './watch-serve.js';

// Two edits in one prompt: a prompt-lint warning in the header.
const A = 'Keep the face unchanged. Make the sky orange. Add a red scarf.';
const BAG = 'Keep the face unchanged. Add a brown bag.';
const SHADE = 'Keep everything else unchanged. Add sunglasses.';

const browser = useBrowser();
const serve = useWatchServe(50);

describe('a live push and the reader', () => {
  it('a warnings list opened stays open; a pick from the keyboard keeps the focus on its node', async () => {
    const yaml = watchRecipe([
      ['a', A],
      ['bag', BAG, 'variants: 2'],
      ['shade', SHADE],
    ]);
    const { p, c, url } = await serve(yaml, /done 5 · cached 0/);
    const page = await browser.page({ width: 1300, height: 700 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForSelector('.tile[data-id="shade#2"].up-to-date');
    await page.locator('details.warn summary').click();
    expect(await page.locator('details.warn[open]').count()).toBe(1);

    await page.locator('button[data-pick="bag#2"]').focus();
    await page.keyboard.press('Enter');
    await until(async () => /pick: 2/.test(await readFile(p.recipe, 'utf8')), 10_000, 'pick: 2 in the recipe');
    // The page as the pick made it: shade#1 gone (pushed at least once since the list was opened).
    await until(
      () => page.evaluate(() => document.querySelector('.tile[data-id="shade#1"]') === null),
      20_000,
      'shade#1 off the page',
      () => c.output(),
    );
    await page.waitForSelector('.tile[data-id="bag#2"] .picked-mark');
    await page.screenshot({ path: join(ARTIFACTS, 'report-live-reader.png') });
    // Before: closed again.
    expect(await page.locator('details.warn[open]').count()).toBe(1);
    // Before: BODY, and ArrowRight went to the first tile, a.
    expect(await page.evaluate(() => (document.activeElement as HTMLElement).dataset['pick'])).toBe('bag#2');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('un-pick #2');
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => (document.activeElement as HTMLElement).dataset['id'])).toBe('shade#2');
    expect(errors).toEqual([]);
    await page.close();
  });
});
