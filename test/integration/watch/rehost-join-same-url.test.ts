/**
 * Watch mode, a joined request whose input the API could not fetch (rehost-join.test.ts), hosted
 * by a command that prints the same URL again: the joining cycle takes the re-host over and, the
 * URL being the one that failed, sends nothing (walk-c F3's rule, held across the hand-over).
 * Without it the joining cycle paid a second request failing the same way.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../helpers/run-fixtures.js';
import { closedOrigin, startStaticServer, type StaticServer } from '../run-hosting/static-server.js';
import { startWatchRig, submitsOf, type WatchRig } from './harness.js';

const A = 'Keep the face unchanged. Make the sky orange.';
const B = 'Keep the face unchanged. Add a red scarf.';
const X = 'Keep the face unchanged. Add a green scarf.';
const D1 = 'Keep the cat unchanged. Add round glasses.';
const D2 = 'Keep the cat unchanged. Add square glasses.';

/** Uploads into the served folder; once `dead` exists there, prints a URL on a closed port for the cat. */
const UPLOAD = `#!/bin/sh
set -eu
case "$KONTEXT_FILE" in
  *pet-chelsea.jpg)
    if [ -f "$SERVE_DIR/dead" ]; then echo "$DEAD_BASE_URL/never-$KONTEXT_SHA256.$KONTEXT_EXT"; exit 0; fi;;
esac
cp "$KONTEXT_FILE" "$SERVE_DIR/$KONTEXT_SHA256.$KONTEXT_EXT"
echo "$SERVE_BASE_URL/$KONTEXT_SHA256.$KONTEXT_EXT"
`;

const recipe = (b: string, d: string): string => `version: 1
name: test
provider: runcomfy
hosting: { mode: command, command: ./upload.sh, url_ttl_seconds: 0 }
sources:
  photo: assets/portrait-astronaut.jpg
  cat: assets/pet-chelsea.jpg
passes:
  - id: a
    from: photo
    prompt: ${JSON.stringify(A)}
  - id: b
    from: photo
    prompt: ${JSON.stringify(b)}
  - id: d
    from: cat
    prompt: ${JSON.stringify(d)}
`;

let rig: WatchRig | undefined;
let web: StaticServer | undefined;
let served = '';
afterEach(async () => {
  await rig?.close();
  await web?.close();
  rig = undefined;
  web = undefined;
  if (served !== '') await rm(served, { recursive: true, force: true });
});

const accepted = (r: WatchRig, prompt: string) => submitsOf(r.calls(), prompt).filter((e) => e.accepted === true);

describe('watch: a joined re-host that hosting gives the same URL again', () => {
  it('is not sent again by the joining cycle: paid once, the node fails with the first failure', async () => {
    served = await mkdtemp(join(tmpdir(), 'kontext-served-'));
    web = await startStaticServer(served);
    const env = {
      SERVE_DIR: served,
      SERVE_BASE_URL: `${web.origin}/files`,
      // Nothing listens there: kontext's check of the URL only warns (a 404 it refuses before the submit).
      DEAD_BASE_URL: `${await closedOrigin()}/files`,
      PATH: process.env['PATH'] ?? '',
    };
    rig = await startWatchRig(recipe(B, D1), {
      env,
      options: { trustHostingCommand: true },
      setup: async (p) => {
        await mkdir(join(p.root, 'assets'), { recursive: true });
        await writeFile(join(p.root, 'upload.sh'), UPLOAD);
        await chmod(join(p.root, 'upload.sh'), 0o755);
      },
    });
    const first = await rig.cycleDone(1);
    expect(rig.of('node-failed')).toEqual([]);
    expect(first.to_run.length).toBe(3);

    // From now on the cat's URL is one the API cannot fetch; d's next request runs until released.
    await writeFile(join(served, 'dead'), '');
    rig.emulator.setScenario({ queue_ms: 0, run_ms: 20 });
    const release = rig.emulator.hold();
    await rig.project.writeRecipe(recipe(B, D2));
    const second = await rig.cycleStarted(2);
    const r0 = rig;
    await until(
      () => r0.events.slice(second).some((e) => e.type === 'node-state' && e.node === 'd' && e.phase === 'running'),
      8_000,
      'd running',
    );
    // b changes while d runs: the third cycle still wants d's request, and joins it.
    await rig.project.writeRecipe(recipe(X, D2));
    const third = await rig.cycleStarted(3);
    release();
    const r1 = rig;
    const dFailed = () => r1.events.slice(third).filter((e) => e.type === 'node-failed' && e.node === 'd');
    await until(() => dFailed().length > 0, 8_000, 'd failed in the third cycle');
    // The third cycle joined d's request (else it would not test the hand-over).
    expect((await rig.cycleDone(3)).in_flight).toBe(1);
    expect(accepted(rig, D2)).toHaveLength(1);
    const failed = dFailed();
    expect(failed).toHaveLength(1);
    const f = failed[0];
    expect(f?.type === 'node-failed' && f.code).toBe('E_REMOTE_FAILED');
    expect(f?.type === 'node-failed' && f.hint).toMatch(
      /hosting it again gave nothing new \(the same URL, or the same S3 object/,
    );
  });
});
