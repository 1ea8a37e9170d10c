#!/usr/bin/env node
// A bare GET loop in its own process (used by remote.bench.mjs): argv = endpoint, bucket, a file
// of keys (one a line), concurrency, client (`sdk`: the AWS SDK; `kontext`: the remote cache's
// own client, dist/remote/s3-http.js). Prints one JSON line: wall ms and this process's CPU ms.
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import pLimit from 'p-limit';

const [endpoint, Bucket, keysFile, concurrency, kind] = process.argv.slice(2);
const credentials = { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY };
const keys = readFileSync(keysFile, 'utf8').split('\n').filter(Boolean);
const sdk = () => {
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    get: async (Key) => (await client.send(new GetObjectCommand({ Bucket, Key }))).Body.transformToByteArray(),
    close: () => client.destroy(),
  };
};
const kontext = async () => {
  const { openS3Http } = await import('../dist/remote/s3-http.js');
  const http = openS3Http({
    endpoint,
    region: 'us-east-1',
    bucket: Bucket,
    forcePathStyle: true,
    credentials: async () => credentials,
  });
  return { get: async (Key) => (await http.get(Key)).body.toArray(), close: () => http.close() };
};
const client = kind === 'kontext' ? await kontext() : sdk();
const limit = pLimit(Number(concurrency));
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
await Promise.all(keys.map((Key) => limit(() => client.get(Key))));
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const cpu = process.cpuUsage(cpu0);
await client.close();
console.log(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000 }));
