/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Page functions run in the browser: DOM types for the code inside page.evaluate().
/**
 * A tile's label with a long pass id: the id is cut with an ellipsis, its variant (` #1`, ` #2`,
 * what tells the tiles of one cell apart) never. Before, the ellipsis cut the variant off with the
 * end of the id, and two tiles read the same. A long source name in a column header wraps inside
 * its column instead of running over the next one.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, useBrowser } from './chromium.js';
import { gridData, nodeOf, pageOf } from './page-data.js';

const LONG = `${'a'.repeat(30)}-${'b'.repeat(30)}`;

const browser = useBrowser();
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-report-tile-'));
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a tile with a long pass id', () => {
  it('keeps its variant in sight, the id cut before it; the column headers keep within their columns', async () => {
    const base = gridData([LONG, 'short'], 1);
    const variants = [LONG, 'short'].flatMap((pass, p) =>
      [1, 2].map((v) => nodeOf(`${pass}#${v}`, p, 0, { variant: v, from: p === 0 ? null : `${LONG}#${v}` })),
    );
    const data = {
      ...base,
      passes: base.passes.map((x, i) => (i === 0 ? { ...x, from: 'c'.repeat(60) } : x)),
      rows: [{ source: 'c'.repeat(60), instance: null, input: null, thumb: null }],
      nodes: variants,
      counts: { ...base.counts, nodes: 4, 'not-run': 4 },
    };
    const page = await browser.page({ width: 1200, height: 800 });
    await page.goto(await pageOf(data, dir));
    await page.screenshot({ path: join(ARTIFACTS, 'report-long-ids.png') });
    const labels = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('.tile')].map((t) => {
        const nid = t.querySelector('.nid') as HTMLElement;
        const vn = nid.querySelector('.vn');
        const name = nid.querySelector('.nm') as HTMLElement | null;
        const tile = t.getBoundingClientRect();
        const box = nid.getBoundingClientRect();
        const v = vn?.getBoundingClientRect();
        return {
          id: t.dataset['id'],
          variant: vn?.textContent ?? null,
          // The variant wholly inside the label and the tile: not cut, not hidden.
          seen: v !== undefined && v.right <= box.right + 0.5 && v.right <= tile.right && v.width > 0,
          cut: name !== null && name.scrollWidth > name.clientWidth,
        };
      }),
    );
    expect(labels).toEqual([
      { id: `${LONG}#1`, variant: '#1', seen: true, cut: true },
      { id: `${LONG}#2`, variant: '#2', seen: true, cut: true },
      { id: 'short#1', variant: '#1', seen: true, cut: false },
      { id: 'short#2', variant: '#2', seen: true, cut: false },
    ]);
    // Before: "← cccc…" ran over the next column's header.
    const over = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('.colh')].map((h) => h.scrollWidth - h.clientWidth),
    );
    expect(over).toEqual([0, 0]);
    await page.close();
  });
});
