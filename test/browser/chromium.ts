/**
 * Browser tests run Debian's Chromium through playwright-core (no downloaded browsers). The
 * test set-up (`scripts/get-chromium.mjs`, run by `npm test`) installs it when missing.
 * Screenshots go to `test-artifacts/` (gitignored).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { REPO_ROOT } from '../helpers/run-fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');

async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: run "node scripts/get-chromium.mjs" (as root it installs it with apt-get)`,
    );
  await mkdir(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'], timeout: 60_000 });
}

/**
 * Chromium for the test file that calls this at its top: launched before its tests, closed after
 * them (after the file's own `afterAll`s). `page(viewport)` opens a page of that size; `mobile`
 * makes it a phone's (`isMobile`, touch): a document wider than the window widens its layout viewport.
 */
export function useBrowser(): {
  page(viewport: { width: number; height: number }, mobile?: boolean): Promise<Page>;
} {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
  });
  return {
    page(viewport, mobile = false) {
      if (browser === undefined) throw new Error('no browser: useBrowser() launches it in beforeAll');
      return browser.newPage(mobile ? { viewport, isMobile: true, hasTouch: true } : { viewport });
    },
  };
}
