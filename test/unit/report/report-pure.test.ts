/**
 * The report's pure parts: which files under `<out>/report/` are the report's (a pass named
 * `report` keeps its outputs), and the served file paths (traversal never matches).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isReportFile } from '../../../src/plan/report-paths.js';
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
