#!/usr/bin/env node
/**
 * Fails, listing file:line, when a tracked source, test, bench, script or JSON file has a line longer than
 * MAX_COLUMNS characters (the formatter's width; it cannot wrap long strings, comments or template literals).
 * Plain node, no dependencies: `node scripts/check-line-length.mjs`. Prints nothing when clean.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const MAX_COLUMNS = 120;
const CHECKED = /\.(?:ts|mts|cts|js|mjs|cjs|json|jsonc)$/;
const EXEMPT = [/^package-lock\.json$/, /^schemas\//];

const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
  encoding: 'utf8',
});
const files = listed.split('\0').filter((f) => CHECKED.test(f) && !EXEMPT.some((re) => re.test(f)));

const long = [];
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue; // deleted in the working tree but still in the index
  }
  text.split(/\r?\n/).forEach((line, i) => {
    const columns = [...line].length;
    if (columns > MAX_COLUMNS) long.push(`${file}:${i + 1}: ${columns} characters`);
  });
}

if (long.length > 0) {
  process.stderr.write(`${long.join('\n')}\n${long.length} line(s) longer than ${MAX_COLUMNS} characters\n`);
  process.exitCode = 1;
}
