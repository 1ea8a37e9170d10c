/**
 * A loopback URL goes only to a provider whose API is local, decided per pass: the recipe's own
 * provider (RunComfy at the emulator on 127.0.0.1) may take s3rver's loopback URLs, but a pass
 * with `provider: fal` at a public base (`fal.invalid`: never resolves, so nothing leaves this
 * machine; the run opens each provider itself, as a session given to it serves only its own) is
 * refused before its submit (E_HOSTING_PRIVATE_URL, exit 65): neither the hosted URL of its source nor the emulator's
 * loopback output URL of the pass above it is sent to fal. A URL record made while the API was
 * local (or before the rule) is checked again when reused.
 */
import { describe, expect, it } from 'vitest';
import type { HostingConfig } from '../../../src/index.js';
import type { TestS3Server } from '../../helpers/s3-server.js';
import { failures, s3Hosting, summaryOf, useS3Project, type Project } from './harness.js';

let s3: TestS3Server;
let project: Project;
useS3Project((server, p) => {
  s3 = server;
  project = p;
});

const recipe = (hosting: HostingConfig): string => `version: 1
name: mixed
provider: runcomfy
hosting: ${JSON.stringify(hosting)}
sources:
  portrait: assets/portrait.jpg
passes:
  - id: local
    prompt: "Keep the person unchanged. Replace the background with a rainy street at night."
  - id: chained
    provider: fal
    model: flux-kontext-pro
    prompt: "Keep everything else unchanged. Add an orange umbrella in her hand."
  - id: direct
    from: portrait
    provider: fal
    model: flux-kontext-pro
    prompt: "Keep the person unchanged. Add falling snow."
`;

describe('private input URLs, decided per pass', () => {
  it('a fal pass at a public API gets no loopback URL (65); the local pass runs', async () => {
    await project.writeRecipe(recipe(s3Hosting(s3)));
    const env = { FAL_KEY: 'fal-id:fal-secret-test', FAL_QUEUE_BASE: 'https://fal.invalid' };
    const run = await project.run({ ownSession: true, env, options: { keepGoing: true } });
    expect(summaryOf(run)).toMatchObject({ exitCode: 65, done: 1 });
    const failed = failures(run);
    expect(failed).toHaveLength(2);
    for (const f of failed) expect(f).toMatch(/^(chained|direct): E_HOSTING_PRIVATE_URL .*loopback URL/);
    expect(project.submits()).toHaveLength(1);
  });

  it('a loopback URL record is checked again when reused for a provider whose API is public', async () => {
    const local = recipe(s3Hosting(s3)).split('  - id: chained')[0] ?? '';
    await project.writeRecipe(local);
    expect(summaryOf(await project.run())).toMatchObject({ exitCode: 0, done: 1 });
    const puts = s3.count('PUT');
    // The same source, now for a pass at a public API: the record (a loopback URL) is not sent.
    await project.writeRecipe(local.replace('provider: runcomfy', 'provider: fal\nmodel: flux-kontext-pro'));
    const env = { FAL_KEY: 'fal-id:fal-secret-test', FAL_QUEUE_BASE: 'https://fal.invalid' };
    const run = await project.run({ ownSession: true, env });
    // The record keeps no URL: the one signed for this run is the bucket's loopback address.
    expect(failures(run)).toEqual([
      expect.stringMatching(/^local: E_HOSTING_PRIVATE_URL S3 hosting gives a loopback URL .*cannot fetch$/),
    ]);
    expect(summaryOf(run)).toMatchObject({ exitCode: 65 });
    expect(s3.count('PUT')).toBe(puts);
    expect(project.submits()).toHaveLength(1);
  });
});
