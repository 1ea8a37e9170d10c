/**
 * A reader who asks for less motion (`prefers-reduced-motion: reduce`) gets a still page (walk-w
 * 9): before, a running node's chip pulsed and its thumbnail swept, endlessly, whatever was asked.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBrowser } from './chromium.js';
import { gridData, nodeOf, pageOf } from './page-data.js';

const browser = useBrowser();
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-report-motion-'));
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('reduced motion', () => {
  it('a running tile moves only when motion is not reduced', async () => {
    const base = gridData(['sky'], 1);
    const url = await pageOf({ ...base, nodes: [nodeOf('sky@r0', 0, 0, { state: 'running', why: null })] }, dir);
    const page = await browser.page({ width: 1024, height: 640 });
    await page.goto(url);
    expect(await page.evaluate(() => document.getAnimations().length)).toBe(2); // the chip's pulse, the sweep
    await page.emulateMedia({ reducedMotion: 'reduce' });
    // Before: 2.
    expect(await page.evaluate(() => document.getAnimations().length)).toBe(0);
    await page.close();
  });
});
