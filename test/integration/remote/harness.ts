/**
 * Two project copies with separate local caches (each its own HOME) and one remote cache on a
 * real s3rver, for the remote-cache tests. Runs are in-process (`runRecipe`) against one
 * standalone emulator, whose request log counts what was paid for.
 */
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import type { RunRecipeOptions } from '../../../src/index.js';
import type { RemoteBounds } from '../../../src/remote/bucket.js';
import {
  createProject,
  recipeYaml,
  runIn,
  startRig,
  type InProcessRun,
  type Project,
  type Rig,
} from '../../helpers/run-fixtures.js';
import { startS3Server, TEST_AWS_ENV, type TestS3Server } from '../../helpers/s3-server.js';

/** Five nodes: three from the photo, two downstream; fixed seeds, so both copies ask the same. */
export const RECIPE = recipeYaml([
  ['sky', 'Keep the face unchanged. Make the sky orange.', 'from: photo', 'seed: 11'],
  ['scarf', 'Keep the face unchanged. Add a red scarf.', 'from: photo', 'seed: 12'],
  ['glasses', 'Keep the face unchanged. Add round glasses.', 'from: photo', 'seed: 13'],
  ['snow', 'Keep everything else unchanged. Add falling snow.', 'from: sky', 'seed: 14'],
  ['rain', 'Keep everything else unchanged. Add falling rain.', 'from: scarf', 'seed: 15'],
]);
export const NODES = ['glasses', 'rain', 'scarf', 'sky', 'snow'];

export interface World {
  readonly s3: TestS3Server;
  readonly rig: Rig;
  /** Two copies of one project, each with its own cache. */
  readonly a: Project;
  readonly b: Project;
  /** `rt.env` for a run using the remote `s3://<bucket>/team` on s3rver (or `endpoint`). */
  env(extra?: Record<string, string>, endpoint?: string): Record<string, string>;
  /** `bounds`: the remote's time bounds, shorter than the product's, for a test that checks one fires. */
  run(
    p: Project,
    options?: Partial<RunRecipeOptions>,
    env?: Record<string, string>,
    bounds?: RemoteBounds,
  ): Promise<InProcessRun>;
}

export function useWorld(recipe: string = RECIPE): () => World {
  let world: World | undefined;
  beforeEach(async () => {
    const s3 = await startS3Server();
    const rig = await startRig();
    const a = await createProject(recipe);
    const b = await createProject(recipe);
    const env = (extra: Record<string, string> = {}, endpoint = s3.endpoint): Record<string, string> => ({
      ...TEST_AWS_ENV,
      AWS_ENDPOINT_URL_S3: endpoint,
      KONTEXT_REMOTE_CACHE: `s3://${s3.bucket}/team`,
      ...extra,
    });
    world = {
      s3,
      rig,
      a,
      b,
      env,
      run: (p, options = {}, e = env(), bounds) =>
        runIn(p, options, { rig, env: e, ...(bounds === undefined ? {} : { remoteBounds: bounds }) }),
    };
  });
  afterEach(async () => {
    if (!world) return;
    await world.rig.close();
    await world.s3.close();
    await world.a.cleanup();
    await world.b.cleanup();
    world = undefined;
  });
  return () => {
    if (!world) throw new Error('no world');
    return world;
  };
}

/** Each node's output bytes, by node id, read through the lock. */
export async function outputsOf(p: Project): Promise<Map<string, Buffer>> {
  const lock = await p.readLock();
  const out = new Map<string, Buffer>();
  for (const [id, e] of Object.entries(lock.nodes)) out.set(id, await readFile(join(p.root, e.output)));
  return out;
}

/** Object keys under the remote, from the PUTs that succeeded. */
/** The objects written (a blob or a record each), not a `--shard` run's write check. */
export function putKeys(s3: TestS3Server): string[] {
  return s3.requests
    .filter((r) => r.method === 'PUT' && r.status === 200 && !isWriteCheck(r.path))
    .map((r) => r.path.slice(s3.bucket.length + 2))
    .sort();
}

/** The write checks `--shard` runs made (remote-cache.ts's `checkWrite`), answered or not. */
export function writeChecks(s3: TestS3Server): number {
  return s3.requests.filter((r) => r.method === 'PUT' && isWriteCheck(r.path)).length;
}

function isWriteCheck(path: string): boolean {
  return path.endsWith('/v1/write-check');
}

export function warnings(run: InProcessRun): string[] {
  return run.events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
}

export function notices(run: InProcessRun): string[] {
  return run.events.flatMap((e) => (e.type === 'notice' ? [e.message] : []));
}

/** Write an object to the remote behind kontext's back (a hostile or damaged remote); `null`: delete it. */
export async function overwrite(w: World, key: string, body: Buffer | null): Promise<void> {
  const client = new S3Client({
    endpoint: w.s3.endpoint,
    forcePathStyle: true,
    region: TEST_AWS_ENV.AWS_REGION,
    credentials: { accessKeyId: TEST_AWS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: TEST_AWS_ENV.AWS_SECRET_ACCESS_KEY },
  });
  const object = { Bucket: w.s3.bucket, Key: key };
  await client.send(body === null ? new DeleteObjectCommand(object) : new PutObjectCommand({ ...object, Body: body }));
  client.destroy();
}

export const blobKey = (sha: string): string => `team/v1/blobs/${sha.slice(0, 2)}/${sha}`;
export const recordKey = (key: string): string => `team/v1/records/${key.slice(0, 2)}/${key}.json`;
