#!/usr/bin/env node
// Test set-up (run by `npm test` before vitest): test/integration/run/durable-renames.test.ts
// reads the system calls of a real run through strace. When it is missing, install it with
// apt-get (needs root, or sudo without a password); otherwise stop with a clear message rather
// than failing later inside a test.
import { execFileSync, spawnSync } from 'node:child_process';

const has = () => spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;
if (has()) process.exit(0);

const root = typeof process.getuid === 'function' && process.getuid() === 0;
const sudo = !root && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
if (!root && !sudo) {
  process.stderr.write(
    'strace is missing and this user cannot install it (apt-get needs root).\n' +
      'Install it once with: sudo apt-get update && sudo apt-get install -y strace\n',
  );
  process.exit(1);
}
const run = (args) => execFileSync(root ? args[0] : 'sudo', root ? args.slice(1) : args, { stdio: 'inherit' });
process.stderr.write("strace is missing: installing Debian's strace with apt-get\n");
try {
  run(['apt-get', 'update']);
  run(['apt-get', 'install', '-y', '--no-install-recommends', 'strace']);
} catch {
  process.stderr.write('apt-get could not install strace (see above); the durable-renames test needs it.\n');
  process.exit(1);
}
if (!has()) {
  process.stderr.write('apt-get finished but strace is still missing.\n');
  process.exit(1);
}
