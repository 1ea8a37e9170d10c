/**
 * The report's pure parts: which files under `<out>/report/` are the report's (a pass named
 * `report` keeps its outputs), and the served file paths (traversal never matches).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isReportFile } from '../../../src/plan/report-paths.js';
import { SCRIPT_GRID } from '../../../src/report/page/script-grid.js';
import { requestedFile } from '../../../src/report/serve/files.js';

describe('isReportFile', () => {
  const out = join('/p', 'out', 'r');
  it.each([
    ['report/index.html', true],
    ['report/.index.html.1a2b-3.tmp', true],
    ['report/thumbs/x.webp', true],
    ['report/maps/x.png', true],
    ['report/inputs/x.webp', true],
    ['report/photo.png', false], // a pass called `report`
    ['report', false],
    ['bag/photo.png', false],
    ['../report/index.html', false],
  ])('%s → %s', (rel, expected) => expect(isReportFile(out, join(out, rel))).toBe(expected));
});

describe('requestedFile', () => {
  it.each([
    ['/bag/photo-v2.png', 'bag/photo-v2.png'],
    ['/report/thumbs/abc.webp', 'report/thumbs/abc.webp'],
    ['/a%20b/c.png', 'a b/c.png'],
    ['/../recipe.yml', null],
    ['/%2e%2e/recipe.yml', null],
    ['/x/%2e%2e%2f%2e%2e%2frecipe.yml', null],
    ['/x/..%5crecipe.yml', null],
    ['/x/a%00.png', null],
    ['//etc/passwd', null],
    ['/./x.png', null],
    ['/%E0%A4%A', null],
    ['relative.png', null],
  ])('%s → %s', (path, expected) => expect(requestedFile(path)).toBe(expected));
});

describe("the page's image URLs (SCRIPT_GRID)", () => {
  // The page script's own functions, given a page's globals: a live page versions a full image by
  // its thumbnail's sha256, so a re-run node's image is never the browser's copy of the one before.
  const urls = (live: boolean, nodes: readonly Record<string, unknown>[]) =>
    new Function(
      'LIVE',
      'nodes',
      `${SCRIPT_GRID}; nodes.forEach(function(n){byId[n.id]=n}); return { fullUrl: fullUrl, beforeUrl: beforeUrl };`,
    )(live, nodes) as { fullUrl: (n: unknown) => string | null; beforeUrl: (n: unknown) => string | null };
  const sha = (c: string): string => c.repeat(64);
  const up = { id: 'a', img: '../a/x.png', thumb: `thumbs/${sha('1')}.webp`, input: null, from: null };
  const down = { id: 'b', img: '../b/x.png', thumb: `thumbs/${sha('2')}.webp`, input: '../a/x.png', from: 'a' };

  it('live: the full image and the image before carry their thumbnail sha256', () => {
    const { fullUrl, beforeUrl } = urls(true, [up, down]);
    expect(fullUrl(down)).toBe(`../b/x.png?v=${sha('2').slice(0, 16)}`);
    expect(beforeUrl(down)).toBe(`../a/x.png?v=${sha('1').slice(0, 16)}`);
  });

  it('live, no thumbnail made yet: no full image (not an unversioned URL the browser may have cached)', () => {
    const early = { ...up, thumb: null };
    const { fullUrl, beforeUrl } = urls(true, [early, down]);
    expect(fullUrl(early)).toBeNull();
    expect(beforeUrl(down)).toBeNull();
  });

  it('static: plain relative paths', () => {
    const { fullUrl, beforeUrl } = urls(false, [up, down]);
    expect([fullUrl(down), beforeUrl(down)]).toEqual(['../b/x.png', '../a/x.png']);
  });
});
