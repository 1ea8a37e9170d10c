/**
 * Watch cycles host local sources ahead of their -j slots, as plain runs do (S3 hosting on a
 * real s3rver): with -j 1 every image is up before the second node starts; a superseded
 * cycle aborts the upload under way that the new plan does not need and starts no more, but
 * one the new plan needs goes on (a node waits on it) and is not made twice. A proxy in front
 * of S3 holds the second PUT, so the test acts while that upload is under way.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { HostingConfig } from '../../../src/index.js';
import { until } from '../../helpers/run-fixtures.js';
import { startS3Server, TEST_AWS_ENV, type TestS3Server } from '../../helpers/s3-server.js';
import { startWatchRig, type WatchRig } from './harness.js';
import { startSlowProxy, type SlowProxy } from './slow-proxy.js';

const A = 'Keep the subject unchanged. Replace the background with white.';

function recipe(glob: string, endpoint: string, bucket: string): string {
  const hosting: HostingConfig = { mode: 's3', bucket, prefix: 'inputs', endpoint, force_path_style: true };
  return [
    'version: 1',
    'name: test',
    'provider: runcomfy',
    `hosting: ${JSON.stringify(hosting)}`,
    'sources:',
    `  shots: ${glob}`,
    'passes:',
    '  - id: a',
    `    prompt: ${JSON.stringify(A)}`,
    '',
  ].join('\n');
}

let rig: WatchRig | undefined;
let s3: TestS3Server | undefined;
let proxy: SlowProxy | undefined;
afterEach(async () => {
  await rig?.close();
  await proxy?.close();
  await s3?.close();
  rig = undefined;
  proxy = undefined;
  s3 = undefined;
});

describe('watch: hosting ahead of the -j slots', () => {
  it('-j 1: every image is uploaded while the first node is still at the API', async () => {
    const server = (s3 = await startS3Server());
    const putsAtStart = new Map<string, number>();
    rig = await startWatchRig(recipe('assets/*.jpg', server.endpoint, server.bucket), {
      env: { ...TEST_AWS_ENV },
      options: { jobs: 1, trustRecipeHosting: true },
      // The first submit takes 1.5 s to answer: plenty of time for four small uploads.
      setup: async (_p, _env, emulator) =>
        emulator.setScenario({ faults: [{ kind: 'slow', on: 'submit', nth: 1, delay_ms: 1500 }] }),
      onEvent: (e) => {
        if (e.type === 'node-start') putsAtStart.set(e.node, server.count('PUT'));
      },
    });
    await rig.cycleDone(1);
    expect(rig.of('run-summary').at(-1)).toMatchObject({ done: 4, failed: 0, exit_code: 0 });
    const starts = rig.of('node-start').map((e) => e.node);
    expect(starts).toHaveLength(4);
    expect(putsAtStart.get(starts[0] ?? '')).toBeLessThanOrEqual(1);
    for (const node of starts.slice(1)) expect(putsAtStart.get(node)).toBe(4);
    expect(server.count('PUT')).toBe(4);
    expect(rig.errors).toEqual([]);
  });

  it('a superseded cycle aborts the upload under way that the new plan does not need, and starts no more', async () => {
    const server = (s3 = await startS3Server());
    const slow = (proxy = await startSlowProxy(server.endpoint, (n) => (n === 2 ? 1500 : 0)));
    const write = (glob: string): string => recipe(glob, slow.endpoint, server.bucket);
    rig = await startWatchRig(write('assets/p*.jpg'), {
      env: { ...TEST_AWS_ENV },
      options: { jobs: 1, trustRecipeHosting: true },
    });
    // The first image is up and its node done; the second image's PUT is being held.
    await until(() => slow.puts.length >= 2, 8_000, 'a second PUT');
    expect(slow.puts[0]?.fate).toBe('forwarded');
    await rig.project.writeRecipe(write('assets/pet-*.jpg'));
    const cycle = await rig.cycleDone(2);
    expect(cycle.to_run).toEqual([]);
    await until(() => slow.puts[1]?.fate !== 'held', 8_000, 'the held PUT to end');
    expect(slow.puts[1]?.fate).toBe('aborted');
    await rig.session.idle();
    // Nothing more is uploaded: two PUTs reached the proxy, one reached S3.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(slow.puts).toHaveLength(2);
    expect(server.count('PUT')).toBe(1);
    expect(rig.of('run-summary').at(-1)).toMatchObject({ failed: 0, exit_code: 0 });
    expect(rig.errors).toEqual([]);
  });

  it('an upload the new plan still needs goes on: its waiting node finishes, each image is uploaded once', async () => {
    const server = (s3 = await startS3Server());
    const slow = (proxy = await startSlowProxy(server.endpoint, (n) => (n === 2 ? 1000 : 0)));
    const v1 = recipe('assets/p*.jpg', slow.endpoint, server.bucket);
    rig = await startWatchRig(v1, { env: { ...TEST_AWS_ENV }, options: { jobs: 1, trustRecipeHosting: true } });
    await until(() => slow.puts.length >= 2, 8_000, 'a second PUT');
    // A pass added downstream: the `a` nodes keep their keys; the one in flight is awaited.
    const B = 'Keep everything else unchanged. Add a soft shadow.';
    await rig.project.writeRecipe(`${v1}  - id: b\n    prompt: ${JSON.stringify(B)}\n`);
    const cycle = await rig.cycleDone(2);
    expect(cycle.in_flight).toBeGreaterThanOrEqual(1);
    expect(rig.of('run-summary').at(-1)).toMatchObject({ failed: 0, exit_code: 0 });
    expect(slow.puts.map((p) => p.fate)).toEqual(['forwarded', 'forwarded', 'forwarded']);
    expect(server.count('PUT')).toBe(3);
    expect(rig.submits()).toEqual(
      new Map([
        [A, 3],
        [B, 3],
      ]),
    );
    expect(rig.errors).toEqual([]);
  });
});
