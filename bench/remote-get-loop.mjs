#!/usr/bin/env node
// A bare GET loop in its own process (used by remote.bench.mjs): argv = endpoint, bucket, a file
// of keys (one a line), concurrency. Prints one JSON line: wall ms and this process's CPU ms.
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import pLimit from 'p-limit';

const [endpoint, Bucket, keysFile, concurrency] = process.argv.slice(2);
const keys = readFileSync(keysFile, 'utf8').split('\n').filter(Boolean);
const client = new S3Client({
  endpoint,
  forcePathStyle: true,
  region: 'us-east-1',
  credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY },
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});
const limit = pLimit(Number(concurrency));
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
await Promise.all(
  keys.map((Key) =>
    limit(async () => (await client.send(new GetObjectCommand({ Bucket, Key }))).Body.transformToByteArray()),
  ),
);
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const cpu = process.cpuUsage(cpu0);
client.destroy();
console.log(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000 }));
