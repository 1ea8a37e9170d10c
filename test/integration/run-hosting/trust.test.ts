/**
 * A recipe's own hosting destination is the recipe author's choice: an S3 endpoint, a bucket or
 * a public base URL written in a shared recipe is used only when the user's config names the
 * same destination or the user passes --trust-recipe-hosting. Until then nothing is uploaded
 * and nothing is submitted (exit 77, one line naming the field at its line:col).
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostingConfig } from '../../../src/hosting/index.js';
import type { TestS3Server } from '../../helpers/s3-server.js';
import { s3Hosting, summaryOf, useS3Project, type Project } from './harness.js';
import { recipeYaml } from './recipe.js';

let s3: TestS3Server;
let project: Project;
useS3Project((server, p) => {
  s3 = server;
  project = p;
});

const forgetUserConfig = (): Promise<void> => rm(join(project.configDir, 'config.json'), { force: true });

describe('a recipe hosting block the user has not trusted', () => {
  it('an S3 endpoint in the recipe: exit 77 naming hosting.endpoint, zero S3 requests and zero submits', async () => {
    await forgetUserConfig();
    await project.writeRecipe(recipeYaml({ hosting: s3Hosting(s3) }));
    const refused = await project.cli(['run', project.recipePath]);
    expect(refused.code).toBe(77);
    const lines = refused.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    // At the field's line:col in the recipe, as validation problems are.
    const endpointAt = (await readFile(project.recipePath, 'utf8'))
      .split('\n')
      .findIndex((l) => l.includes('endpoint'));
    expect(lines[0]).toMatch(
      new RegExp(
        `^kontext: \\S*recipe\\.yml:${endpointAt + 1}:\\d+: hosting\\.endpoint: images would be uploaded to http://`,
      ),
    );
    expect(lines[0]).toMatch(/--trust-recipe-hosting/);
    expect(s3.requests).toEqual([]);
    expect(project.submits()).toEqual([]);

    const trusted = await project.cli(['run', project.recipePath, '--trust-recipe-hosting', '--json']);
    expect(trusted.stderr).toBe('');
    expect(trusted.code).toBe(0);
    expect(s3.count('PUT')).toBe(3);
  });

  it('the line:col is the one validation gives, a BOM not counted: the recipe as it was loaded', async () => {
    await forgetUserConfig();
    const lines = recipeYaml({ hosting: s3Hosting(s3) }).split('\n');
    const hosting = lines.find((l) => l.startsWith('hosting:')) ?? '';
    // The hosting block first, after a byte-order mark (which editors on Windows write).
    await project.writeRecipe(`\uFEFF${[hosting, ...lines.filter((l) => l !== hosting)].join('\n')}`);
    const refused = await project.cli(['run', project.recipePath]);
    expect(refused.code).toBe(77);
    // At the value, as validation points at it: the column counts characters after the BOM.
    const col = hosting.indexOf('"endpoint":') + '"endpoint":'.length + 1;
    expect(refused.stderr).toMatch(new RegExp(`recipe\\.yml:1:${col}: hosting\\.endpoint: `));
    expect(project.submits()).toEqual([]);
  });

  it('an endpoint other than the one in the user config is refused, even for the same bucket', async () => {
    await project.writeRecipe(recipeYaml({ hosting: s3Hosting(s3, { endpoint: 'http://127.0.0.1:9/attacker' }) }));
    await expect(project.run()).rejects.toMatchObject({ code: 'E_HOSTING_UNTRUSTED', exitCode: 77 });
    expect(s3.requests).toEqual([]);
    expect(project.submits()).toEqual([]);
  });

  it('the user config names an endpoint the recipe leaves out: the message says so, at the hosting block', async () => {
    const { endpoint: _endpoint, ...aws } = s3Hosting(s3) as Extract<HostingConfig, { mode: 's3' }>;
    await project.writeRecipe(recipeYaml({ hosting: aws }));
    const refused = await project.cli(['run', project.recipePath]);
    expect(refused.code).toBe(77);
    const at = (await readFile(project.recipePath, 'utf8')).split('\n').findIndex((l) => l.startsWith('hosting:'));
    expect(refused.stderr).toMatch(
      new RegExp(
        `recipe\\.yml:${at + 1}:\\d+: hosting\\.endpoint: images would be uploaded to ` +
          `bucket "${s3.bucket}" on AWS S3 \\(the recipe names no endpoint, your user config names an endpoint\\)`,
      ),
    );
    expect(s3.requests).toEqual([]);
    expect(project.submits()).toEqual([]);
  });

  it('a public_base_url the user config does not name is refused', async () => {
    await project.writeRecipe(recipeYaml({ hosting: s3Hosting(s3, { public_base_url: 'https://cdn.attacker.test' }) }));
    const e = await project.run().catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'E_HOSTING_UNTRUSTED', exitCode: 77 });
    expect(String((e as Error).message)).toContain('hosting.public_base_url');
    expect(s3.requests).toEqual([]);
  });

  it('a plain bucket (no endpoint) the user config does not name is refused too', async () => {
    await project.writeRecipe(recipeYaml({ hosting: { mode: 's3', bucket: 'authors-bucket', region: 'eu-west-1' } }));
    const e = await project.run().catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'E_HOSTING_UNTRUSTED', exitCode: 77 });
    expect(String((e as Error).message)).toContain(
      'hosting.bucket: images would be uploaded to bucket "authors-bucket"',
    );
  });

  it('the same destination as the user config runs; prefix and TTL are the recipe’s to choose', async () => {
    await project.writeRecipe(
      recipeYaml({ hosting: s3Hosting(s3, { prefix: 'elsewhere', presign_ttl_seconds: 900 }) }),
    );
    expect(summaryOf(await project.run())).toMatchObject({ exitCode: 0, done: 5 });
    expect(s3.count('PUT')).toBe(3);
  });

  it('a dry run hosts nothing, so it needs no trust', async () => {
    await forgetUserConfig();
    await project.writeRecipe(recipeYaml({ hosting: s3Hosting(s3) }));
    const dry = await project.run({ options: { dryRun: true } });
    expect(dry.result.kind).toBe('dry-run');
    expect(s3.count('PUT')).toBe(0);
  });
});
