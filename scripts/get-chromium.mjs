#!/usr/bin/env node
// Test set-up (run by `npm test` before vitest): the browser tests drive Debian's Chromium at
// /usr/bin/chromium through playwright-core (`npx playwright install` is not used). When it is
// missing, install it with apt-get (needs root, or sudo without a password); otherwise stop with
// a clear message rather than failing later inside a test.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = '/usr/bin/chromium';
if (existsSync(CHROMIUM)) process.exit(0);

const root = typeof process.getuid === 'function' && process.getuid() === 0;
const sudo = !root && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
if (!root && !sudo) {
  process.stderr.write(
    `${CHROMIUM} is missing and this user cannot install it (apt-get needs root).\n` +
      'Install it once with: sudo apt-get update && sudo apt-get install -y chromium\n',
  );
  process.exit(1);
}
const run = (args) => execFileSync(root ? args[0] : 'sudo', root ? args.slice(1) : args, { stdio: 'inherit' });
process.stderr.write(`${CHROMIUM} is missing: installing Debian's chromium with apt-get\n`);
try {
  run(['apt-get', 'update']);
  run(['apt-get', 'install', '-y', '--no-install-recommends', 'chromium']);
} catch {
  process.stderr.write('apt-get could not install chromium (see above); the browser tests need it.\n');
  process.exit(1);
}
if (!existsSync(CHROMIUM)) {
  process.stderr.write(`apt-get finished but ${CHROMIUM} is still missing.\n`);
  process.exit(1);
}
