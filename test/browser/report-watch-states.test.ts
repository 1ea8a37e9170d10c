/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Page functions run in the browser: DOM types for the code inside page.evaluate().
/**
 * The live review sheet in Chromium (the BUILT CLI, `run --watch --serve --port 0`, a standalone
 * emulator) as the watch meets what is not a run (walk-g 1-3):
 * - a valid edit over `--max-cost`: the terminal and the page say the cycle stopped, not that the
 *   recipe is invalid; the page shows the recipe as saved;
 * - an output edited by hand: its tile turns `modified` with the retouched thumbnail, on the open
 *   page and after a reload, and no cycle starts (nothing submitted);
 * - a recipe saved invalid: the pick buttons are disabled, and a pick sent anyway is answered with
 *   the recipe's problems at their file:line:col, not "changed on disk … pick again" for ever.
 */
import type { Page } from 'playwright-core';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../src/index.js';
import { acceptedByPrompt, until } from '../helpers/run-fixtures.js';
import { watchRecipe } from '../integration/watch/harness.js';
import { ARTIFACTS, useBrowser } from './chromium.js';
import { pressPick, type Served, useWatchServe } from './watch-serve.js';

const A = 'Keep the face unchanged. Make the sky orange.';
const B = 'Keep the face unchanged. Add a red scarf.';
const B2 = 'Keep the face unchanged. Add a blue scarf.';

const browser = useBrowser();
const serveWatch = useWatchServe(50);

/** A watch session with the page served; resolves once the first run is done, with the page open on it. */
async function serve(
  yaml: string,
  firstRun: RegExp,
  flags: readonly string[] = [],
): Promise<Served & { page: Page; pageErrors: string[] }> {
  const { p, em, c, url } = await serveWatch(yaml, firstRun, { flags });
  const page = await browser.page({ width: 1300, height: 700 });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(url);
  await page.waitForFunction(() => document.querySelector('#livedot')?.classList.contains('on') === true);
  return { p, em, c, url, page, pageErrors };
}

const submits = (em: EmulatorHandle): Record<string, number> => Object.fromEntries(acceptedByPrompt(em.requestLog()));

describe('run --watch --serve in Chromium: what is not a run', () => {
  it('a valid edit over --max-cost: "cycle stopped" in the terminal and on the page, not "invalid"', async () => {
    // $0.04 a request (the emulator's model info): the first run's two fit under $0.10, four do not.
    const { p, em, c, page, pageErrors } = await serve(
      watchRecipe([
        ['a', A],
        ['b', B],
      ]),
      /done 2 · cached 0/,
      ['--max-cost', '0.1'],
    );
    await p.writeRecipe(
      watchRecipe([
        ['a', A],
        ['b', B2, 'variants: 3'],
      ]),
    );
    await until(
      () => /cycle stopped/.test(c.output()),
      10_000,
      'the stopped cycle said',
      () => c.output(),
    );
    expect(c.output()).toMatch(
      /stopped +recipe\.yml: cycle stopped: .*over --max-cost \$0\.10; nothing was submitted.*; watching\n/,
    );
    expect(c.output()).not.toMatch(/invalid/);
    await page.waitForSelector('#stopped', { timeout: 10_000 });
    expect(await page.textContent('#stopped b')).toBe('recipe.yml: cycle stopped; watching');
    expect(await page.textContent('#stopped li')).toMatch(/over --max-cost \$0\.10; nothing was submitted/);
    expect(await page.textContent('#top')).not.toMatch(/cannot be used as saved/);
    // The recipe as saved: its new prompt is on the page.
    const prompts = await page.evaluate(() =>
      [...document.querySelectorAll('.colh .prompt')].map((e) => e.textContent),
    );
    expect(prompts).toEqual([A, B2]);
    await page.screenshot({ path: join(ARTIFACTS, 'report-cycle-stopped.png') });
    expect(submits(em)).toEqual({ [A]: 1, [B]: 1 });
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('an output edited by hand: its tile turns modified, live and after a reload; no cycle, nothing paid', async () => {
    const { p, em, c, url, page, pageErrors } = await serve(
      watchRecipe([
        ['a', A],
        ['b', B],
      ]),
      /done 2 · cached 0/,
    );
    const tile = (id: string): Promise<string | null> =>
      page.evaluate((i) => document.querySelector(`.tile[data-id="${i}"]`)?.className ?? null, id);
    await until(async () => /up-to-date/.test((await tile('b')) ?? ''), 10_000, 'b up to date');
    const lock = JSON.parse(await readFile(p.lockPath, 'utf8')) as { nodes: Record<string, { output: string }> };
    const output = join(p.root, lock.nodes['b']?.output ?? '');
    const retouched = await sharp(output).blur(4).png().toBuffer();
    const sha = createHash('sha256').update(retouched).digest('hex');
    await writeFile(output, retouched);

    const thumb = (): Promise<string> =>
      page.evaluate(() => document.querySelector('.tile[data-id="b"] img')?.getAttribute('src') ?? '');
    await until(
      async () => /modified/.test((await tile('b')) ?? '') && (await thumb()).includes(sha),
      10_000,
      'b modified on the open page, with the retouched thumbnail',
      () => c.output(),
    );
    expect(await tile('a')).toMatch(/up-to-date/);
    await page.goto(url);
    await page.waitForSelector('.tile[data-id="b"].modified');
    expect(await thumb()).toContain(sha);
    await page.screenshot({ path: join(ARTIFACTS, 'report-hand-edit.png') });
    expect(c.output().match(/^watch /gm)).toHaveLength(1); // the first cycle only
    expect(submits(em)).toEqual({ [A]: 1, [B]: 1 });
    expect(await readFile(output)).toEqual(retouched);
    expect(pageErrors).toEqual([]);

    // A cycle that meets it (the run keeps it: E_OUTPUT_CHANGED) shows it modified too, not failed.
    await p.writeRecipe(
      watchRecipe([
        ['a', A],
        ['b', B],
        ['c', B2],
      ]),
    );
    await until(
      () => /failed 1 \(b\)/.test(c.output()),
      10_000,
      'the next run',
      () => c.output(),
    );
    await page.waitForSelector('.tile[data-id="c"]', { timeout: 10_000 });
    // The server has b's node-failed by now; a state laid over the data is pushed within 250 ms
    // (and stayed, `failed`, before the fix): b shows modified throughout, and after.
    const seen = new Set<string>();
    for (const end = Date.now() + 1_500; Date.now() < end; await new Promise((r) => setTimeout(r, 50)))
      seen.add((await tile('b'))?.split(' ')[1] ?? '');
    expect([...seen]).toEqual(['modified']);
    expect(submits(em)).toEqual({ [A]: 1, [B]: 1 });
    expect(await readFile(output)).toEqual(retouched);
    await page.close();
  });

  it('a recipe saved invalid: picks disabled; a pick sent anyway gets its problems at file:line:col', async () => {
    const yaml = watchRecipe([
      ['a', A],
      ['bag', B, 'variants: 2'],
    ]);
    const { p, url, page, pageErrors } = await serve(yaml, /done 3 · cached 0/);
    await page.waitForSelector('button.pick[data-pick="bag#2"]:not([disabled])');
    await p.writeRecipe(yaml.replace('    variants: 2', '    variantz: 2'));
    await page.waitForSelector('.errs', { timeout: 10_000 });
    const problem = /recipe\.yml:12:5: passes\[1\]: unknown key "variantz"/;
    expect(await page.textContent('.errs li')).toMatch(problem);
    await page.waitForSelector('button.pick[data-pick="bag#2"][disabled]');
    expect(await page.locator('button.pick:not([disabled])').count()).toBe(0);

    // The button is disabled, but a pick sent anyway (a page built before the edit, a script) is told why.
    const answer = await page.evaluate(
      async (body) => {
        const token = document.querySelector('meta[name="kontext-token"]')?.getAttribute('content') ?? '';
        const r = await fetch('/api/pick', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-kontext-token': token },
          body: JSON.stringify(body),
        });
        return { status: r.status, text: await r.text() };
      },
      { node: 'bag#2', expectSha256: 'e'.repeat(64), clear: false },
    );
    expect(answer.status).toBe(409);
    const [head, ...problems] = answer.text.trim().split('\n');
    expect(head).toBe('recipe.yml cannot be used as saved: nothing written. Fix it, then pick again:');
    expect(problems).toEqual([expect.stringMatching(problem)]);
    await page.screenshot({ path: join(ARTIFACTS, 'report-pick-invalid.png') });

    // Fixed: the buttons come back, and a pick from the page is written.
    await p.writeRecipe(yaml);
    await page.waitForSelector('button.pick[data-pick="bag#2"]:not([disabled])', { timeout: 10_000 });
    await pressPick(page, 'bag#2');
    await until(async () => /pick: 2/.test(await readFile(p.recipe, 'utf8')), 10_000, 'pick: 2 in the recipe');
    expect(url).toMatch(/^http:/);
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
