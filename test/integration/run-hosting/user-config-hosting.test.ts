/**
 * A `hosting:` block in the user config is used whatever the provider (README "Hosting your
 * images"), ahead of the provider's own default: with Replicate (inline by default, 7 MB cap) a
 * local source goes to the user's bucket and by URL, so an image over the inline cap runs rather
 * than failing with a hint to add the block the user config already has (walk-c F2).
 * `--hosting inline` still sends it inline. The built-in emulator, which runs with no account and
 * no network, keeps its inline default.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KontextError } from '../../../src/index.js';
import { pngHolding } from '../../helpers/test-images.js';
import type { TestS3Server } from '../../helpers/s3-server.js';
import { failures, summaryOf, useS3Project, type Project } from './harness.js';

let s3: TestS3Server;
let project: Project;
useS3Project((server, p) => {
  s3 = server;
  project = p;
});

const RECIPE = `version: 1
name: big
provider: replicate
sources:
  big: assets/big.png
passes:
  - id: scarf
    prompt: "Keep the cat unchanged. Give the cat a red scarf."
    seed: 4
`;

const env = (): Record<string, string> => ({
  REPLICATE_API_BASE: project.emulator.origin,
  REPLICATE_API_TOKEN: 'r8_user-config-hosting-token',
});

/** The image each accepted create carried, as the emulator logged it. */
const acceptedImages = (): string[] =>
  project.emulator
    .requestLog()
    .filter((e) => e.accepted === true)
    .map((e) => JSON.stringify(e.body));

describe('a hosting block in the user config', () => {
  it('is used with Replicate: an 8 MB source goes by URL to the bucket, not inline over the 7 MB cap', async () => {
    await writeFile(join(project.root, 'assets', 'big.png'), pngHolding(randomBytes(8_000_000)));
    await project.writeRecipe(RECIPE);
    const run = await project.run({ ownSession: true, env: env() });
    expect(failures(run)).toEqual([]);
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 1 });
    expect(s3.count('PUT')).toBe(1);
    const images = acceptedImages();
    expect(images).toHaveLength(1);
    expect(images[0]).toContain(`${s3.endpoint}/${s3.bucket}/inputs/`);
    expect(images[0]).not.toContain('data:');
  });

  it('--hosting inline still sends it inline: over the cap, refused before any request', async () => {
    await writeFile(join(project.root, 'assets', 'big.png'), pngHolding(randomBytes(8_000_000)));
    await project.writeRecipe(RECIPE);
    const e = await project.run({ ownSession: true, env: env(), options: { hosting: 'inline' } }).then(
      () => null,
      (err: unknown) => err as KontextError,
    );
    expect(e).toMatchObject({ code: 'E_IMAGE_TOO_LARGE', exitCode: 65 });
    // In the cap's own unit, as the README gives it (Replicate 7 MB; RunComfy 6 MiB: inline.test.ts).
    expect(e?.message).toMatch(/big\.png: the input image is 8\.0 MB inline, over the 7 MB replicate accepts/);
    expect(e?.hint).toMatch(/add a `hosting:` block .* to the recipe or your user config, or pass --hosting s3/);
    expect(s3.count('PUT')).toBe(0);
    expect(acceptedImages()).toEqual([]);
  });

  it('is not used for the built-in emulator (no account, no network): its inputs stay inline', async () => {
    await project.writeRecipe(RECIPE.replace('provider: replicate', 'provider: emulator'));
    await writeFile(join(project.root, 'assets', 'big.png'), pngHolding(randomBytes(1_000)));
    // The run opens the built-in emulator itself (a session given to it serves only its own provider).
    const run = await project.run({ ownSession: true, env: {} });
    expect(failures(run)).toEqual([]);
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 1 });
    expect(s3.count('PUT')).toBe(0);
  });

  it("an emulator recipe with a pass on Replicate: inline, the hint says the user config's is unused", async () => {
    await writeFile(join(project.root, 'assets', 'big.png'), pngHolding(randomBytes(8_000_000)));
    await project.writeRecipe(
      RECIPE.replace('provider: replicate\n', 'provider: emulator\n').replace(
        '    seed: 4',
        '    provider: replicate\n    seed: 4',
      ),
    );
    const e = await project.run({ ownSession: true, env: env() }).then(
      () => null,
      (err: unknown) => err as KontextError,
    );
    expect(e).toMatchObject({ code: 'E_IMAGE_TOO_LARGE', exitCode: 65 });
    expect(e?.hint).toMatch(
      /this run is on the built-in emulator .*, which keeps images inline whatever your user config/,
    );
    expect(s3.count('PUT')).toBe(0);
  });

  it("is not used over the recipe's own `hosting: inline`, and the hint says which block to change", async () => {
    await writeFile(join(project.root, 'assets', 'big.png'), pngHolding(randomBytes(8_000_000)));
    await project.writeRecipe(
      RECIPE.replace('provider: replicate\n', 'provider: replicate\nhosting: { mode: inline }\n'),
    );
    const e = await project.run({ ownSession: true, env: env() }).then(
      () => null,
      (err: unknown) => err as KontextError,
    );
    expect(e).toMatchObject({ code: 'E_IMAGE_TOO_LARGE', exitCode: 65 });
    expect(e?.hint).toMatch(
      /the recipe's `hosting: \{ mode: inline \}` sends it in the request; make it s3 or command/,
    );
    expect(s3.count('PUT')).toBe(0);
    expect(acceptedImages()).toEqual([]);
  });
});
