#!/usr/bin/env node
/**
 * CPU of `redactSecrets` (src/util/redact.ts) on large error texts: a provider's error reply is
 * scrubbed whole (up to 8 MiB) before it is clipped, on every retried reply, so a hostile reply
 * must not hold the event loop. Keys are looked for as they are, encoded, in any case, in hex and
 * cut at either end. Median of 5 rounds, ms per call.
 *
 * Run after `npm run build`:  node bench/redact.bench.mjs
 * Another build: BENCH_DIST=/path/to/other/dist node bench/redact.bench.mjs
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median, root, row } from './lib.mjs';

const dist = process.env.BENCH_DIST ?? join(root, 'dist');
const { redactSecrets } = await import(pathToFileURL(join(dist, 'util/redact.js')).href);

const token = 'rc-live-4f9a2b7c1d8e6f03a5b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3';
const aws = ['wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'AKIAIOSFODNN7EXAMPLE'];
const session = `IQoJb3JpZ2luX2VjE${'x7Yq'.repeat(225)}`; // an STS session token, ~900 characters
const words = 'lorem ipsum dolor sit amet, consectetur adipiscing elit ';
const big = words.repeat(Math.ceil((8 * 1024 * 1024) / words.length)).slice(0, 8 * 1024 * 1024);
const mb = big.slice(0, 1024 * 1024);
// A reply that echoes the key in several forms, among the filler.
const echoes = `${token} ${token.toUpperCase()} ${token.slice(0, 30)} ${token.slice(-30)}`;

function ms(text, secrets) {
  const times = [];
  for (let i = 0; i < 5; i++) {
    const cpu0 = process.cpuUsage();
    redactSecrets(text, secrets);
    const cpu = process.cpuUsage(cpu0);
    times.push((cpu.user + cpu.system) / 1000);
  }
  return `${median(times).toFixed(1)} ms`;
}

row('1 MB reply, 3 secrets (token + AWS key pair)', '-', ms(mb, [token, ...aws]));
row('1 MB reply, a ~900-character session token', '-', ms(mb, [session]));
row('8 MB reply, one token', '-', ms(big, [token]));
row('8 MB reply echoing the token 4 ways, 4 secrets', '-', ms(`${big}${echoes}`, [token, session, ...aws]));
// A key that repeats itself in a text that repeats it: every place is a match (review-z 4).
row('8 MB of "A", a key of 24 "a"', '-', ms('A'.repeat(8 * 1024 * 1024), ['a'.repeat(24)]));
