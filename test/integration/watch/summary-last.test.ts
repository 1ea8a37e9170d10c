/**
 * Watch mode ended by Ctrl-C while a cycle runs, with a result still uploading to the remote
 * cache: the session waits for the upload (5 s grace, then "not uploaded"), and the cycle's
 * summary, exit 130, comes after those notices: the session's last event.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../../src/index.js';
import { until } from '../../helpers/run-fixtures.js';
import { startS3Server, TEST_AWS_ENV, type TestS3Server } from '../../helpers/s3-server.js';
import { startS3Proxy, type S3Proxy } from '../remote/proxy.js';
import { startWatchRig, watchRecipe, type WatchRig } from './harness.js';

let rig: WatchRig | undefined;
let s3: TestS3Server | undefined;
let proxy: S3Proxy | undefined;
afterEach(async () => {
  await rig?.close();
  await proxy?.close();
  await s3?.close();
  rig = proxy = s3 = undefined;
});

describe('watch: the summary at the session end', () => {
  it('Ctrl-C during a cycle, an upload held: its notices, then the summary (130) last', async () => {
    s3 = await startS3Server();
    proxy = await startS3Proxy(s3.endpoint, { holdWritesMs: 60_000 }); // the upload never ends
    let emulator: EmulatorHandle | undefined;
    let release: (() => void) | undefined;
    rig = await startWatchRig(
      watchRecipe([
        ['a', 'Keep the face unchanged. Make the sky orange.'],
        ['b', 'Keep the face unchanged. Add a red scarf.'],
      ]),
      {
        env: { ...TEST_AWS_ENV, AWS_ENDPOINT_URL_S3: proxy.endpoint, KONTEXT_REMOTE_CACHE: `s3://${s3.bucket}/team` },
        setup: async (_p, _env, e) => {
          emulator = e;
        },
        // `a`'s job over (its upload then held by the proxy), before `b` (its input is `a`'s output)
        // can be submitted: `b` stays running at the API until the end.
        onEvent: (e) => {
          if (e.type === 'node-state' && e.node === 'a' && e.phase === 'downloading')
            release ??= emulator?.hold('running');
        },
      },
    );
    const r = rig;
    await until(
      () => r.events.some((e) => e.type === 'node-state' && e.node === 'b' && e.phase === 'running'),
      20_000,
      'b running',
      () => JSON.stringify(r.events),
    );
    rig = undefined;
    await r.close(); // Ctrl-C: watcher, session (its uploads), emulator
    release?.();
    const last = r.events.at(-1);
    expect(last).toMatchObject({ type: 'run-summary', exit_code: 130, done: 1 });
    const said = r.of('notice').map((n) => n.message);
    expect(said).toContainEqual(expect.stringMatching(/^finishing 1 upload to the remote cache/));
    expect(said).toContainEqual(expect.stringContaining('1 result not uploaded'));
    expect(r.of('run-summary')).toHaveLength(1);
  }, 60_000);
});
