/**
 * Browser tests run Debian's Chromium through playwright-core (no downloaded browsers). The
 * test set-up (`scripts/get-chromium.mjs`, run by `npm test`) installs it when missing.
 * Screenshots go to `test-artifacts/` (gitignored).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { REPO_ROOT } from '../helpers/run-fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: run "node scripts/get-chromium.mjs" (as root it installs it with apt-get)`,
    );
  await mkdir(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'], timeout: 60_000 });
}
