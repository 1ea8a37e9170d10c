/**
 * A `--shard` run exists to fill the remote cache: once the remote can take none of its results
 * (down at the start, uploads denied by the write check it makes before its first request, or
 * at the first upload, down at the first upload, a recipe's remote used read-only), it submits
 * nothing more (walk-y 1). The requests already on the wire
 * finish and are kept locally; the shard exits 75 (the remote not usable) or 77 (uploads off)
 * with one line saying so; the same runner's re-run, the remote back, pays only what was never
 * paid and uploads everything. A run without `--shard` goes on without the remote, as before.
 * Nor does it host inputs ahead (prefetch.ts) for the requests it will no longer send.
 * Real s3rver, real proxy in front of it answering PUTs with AccessDenied or 503.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { runIn, startRig, summaryOf, type InProcessRun, type Project } from '../../helpers/run-fixtures.js';
import { putKeys, RECIPE, useWorld, warnings, writeChecks, type World } from './harness.js';
import { startS3Proxy, startUploadGate } from './proxy.js';

const world = useWorld();
const SHARD = { shard: { index: 1, count: 1 } };
const DOWN = 'http://127.0.0.1:9'; // nothing listens: refused

function skipped(run: InProcessRun): string[] {
  return run.events.flatMap((e) => (e.type === 'node-skipped' ? [e.reason] : []));
}

/** The shard's one line, which must be the only `shard 1/1:` warning. */
function shardLine(run: InProcessRun): string {
  const lines = warnings(run).filter((m) => m.startsWith('shard 1/1: '));
  expect(lines).toHaveLength(1);
  return lines[0] ?? '';
}

/**
 * `run` through a proxy that answers every PUT as `answer` does; with `afterCheck`, all but the
 * shard's write check (remote-cache.ts's `checkWrite`), which reaches the server: the remote lost
 * after the run began paying.
 */
async function withPuts(
  w: World,
  answer: (res: ServerResponse) => void,
  run: (env: Record<string, string>) => Promise<InProcessRun>,
  afterCheck = false,
): Promise<InProcessRun> {
  const proxy = await startS3Proxy(w.s3.endpoint, {
    answer: (req: IncomingMessage, res: ServerResponse) => {
      if (req.method !== 'PUT' || (afterCheck && req.url?.endsWith('/v1/write-check'))) return false;
      req.resume();
      answer(res);
      return true;
    },
  });
  try {
    return await run(w.env({}, proxy.endpoint));
  } finally {
    await proxy.close();
  }
}

/**
 * `p`'s shard at -j 1 on an emulator whose requests take 500 ms: one request on the wire at a
 * time, and the remote's answer to the first upload (its retries of a 503 take ~300 ms) comes
 * while the second runs, so the stop holds the rest back whatever the machine's speed.
 */
async function slowShard(p: Project, env: Record<string, string>): Promise<InProcessRun> {
  const rig = await startRig({ runMs: 500 });
  try {
    return await runIn(p, { ...SHARD, jobs: 1 }, { rig, env });
  } finally {
    await rig.close();
  }
}

const DENIED = (res: ServerResponse): void => {
  res
    .writeHead(403, { 'content-type': 'application/xml' })
    .end('<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>');
};
const UNAVAILABLE = (res: ServerResponse): void => {
  res.writeHead(503).end();
};
const REVOKED = '<?xml version="1.0"?><Error><Code>InvalidAccessKeyId</Code><Message>revoked</Message></Error>';

/** Two chains (a → b, c → c2) and two single passes, each root from its own photo. */
function recipe(hosting: object): string {
  const pass = (id: string, from: string, seed: number): string[] => [
    `  - id: ${id}`,
    `    from: ${from}`,
    '    prompt: "Keep everything else unchanged. Add falling snow."',
    `    seed: ${seed}`,
  ];
  return [
    'version: 1',
    'name: test',
    'provider: emulator',
    `hosting: ${JSON.stringify(hosting)}`,
    'sources:',
    '  portrait: assets/portrait-astronaut.jpg',
    '  pet: assets/pet-chelsea.jpg',
    '  coffee: assets/product-coffee.jpg',
    '  rocket: assets/scene-rocket.jpg',
    'passes:',
    ...pass('a', 'portrait', 1),
    ...pass('b', 'a', 2),
    ...pass('c', 'pet', 3),
    ...pass('c2', 'c', 4),
    ...pass('d', 'coffee', 5),
    ...pass('e', 'rocket', 6),
  ].join('\n');
}

describe('a shard whose remote cannot take its results submits nothing more', () => {
  it('the remote down at the start: 0 submits, exit 75; the remote back, the same runner pays 5, uploads', async () => {
    const w = world();
    const down = await w.run(w.a, SHARD, w.env({}, DOWN));
    expect(summaryOf(down)).toMatchObject({ exitCode: 75, submitted: 0, done: 0, skipped: 5 });
    expect(skipped(down)).toEqual(Array(5).fill('remote-unusable'));
    expect(shardLine(down)).toMatch(
      new RegExp(
        '^shard 1/1: submitted nothing \\(5 nodes not run\\): the remote cache s3://kontext-test/team ' +
          'is not usable \\(.*ECONNREFUSED.*\\), .*fix the remote .* and run this shard again',
      ),
    );
    expect(warnings(down)).toContainEqual(expect.stringMatching(/is not usable \(.*\); submitting nothing more$/));
    expect(warnings(down).join('\n')).not.toContain('going on without it');

    const back = await w.run(w.a, SHARD);
    expect(summaryOf(back)).toMatchObject({ exitCode: 0, submitted: 5 });
    expect(putKeys(w.s3)).toHaveLength(10); // a blob and a record each
    expect(summaryOf(await w.run(w.b))).toMatchObject({ exitCode: 0, submitted: 0, cached: 5 });

    // Without --shard the same outage is one warning, and the run pays and finishes (exit 0).
    const plain = await w.run(w.b, { force: ['sky'] }, w.env({}, DOWN));
    expect(summaryOf(plain)).toMatchObject({ exitCode: 0, submitted: 1 });
    expect(warnings(plain)).toContainEqual(expect.stringMatching(/is not usable \(.*\); going on without it$/));
  });

  it('read-only keys: found by the write check before any request, 0 paid, 77; write keys: 5 paid once', async () => {
    const w = world();
    const denied = await withPuts(w, DENIED, (env) => w.run(w.a, SHARD, env));
    expect(summaryOf(denied)).toMatchObject({ exitCode: 77, submitted: 0, skipped: 5 });
    expect(skipped(denied)).toEqual(Array(5).fill('remote-unusable'));
    expect(shardLine(denied)).toContain(
      'submitted nothing (5 nodes not run): the remote cache s3://kontext-test/team denied the uploads',
    );
    expect(putKeys(w.s3)).toEqual([]); // the proxy denied every PUT, the check's too

    const again = await w.run(w.a, SHARD);
    expect(summaryOf(again)).toMatchObject({ exitCode: 0, submitted: 5 });
    expect(writeChecks(w.s3)).toBe(1); // one per shard run that pays
    expect(putKeys(w.s3)).toHaveLength(10);
    expect(summaryOf(await w.run(w.b))).toMatchObject({ exitCode: 0, submitted: 0, cached: 5 });
    expect(summaryOf(await w.run(w.a, SHARD))).toMatchObject({ exitCode: 0, submitted: 0 });
    expect(writeChecks(w.s3)).toBe(1); // nothing to pay: no check
  });

  it('uploads denied after the check: only what was on the wire paid, 77; write keys: the rest, 0 twice', async () => {
    const w = world();
    const denied = await withPuts(w, DENIED, (env) => slowShard(w.a, env), true);
    const paid = summaryOf(denied).submitted;
    expect(summaryOf(denied).exitCode).toBe(77);
    expect(paid).toBeGreaterThanOrEqual(1);
    expect(paid).toBeLessThan(5);
    expect(summaryOf(denied).done).toBe(paid); // what was paid is kept locally
    expect(skipped(denied).filter((r) => r === 'remote-unusable')).toHaveLength(5 - paid);
    expect(shardLine(denied)).toContain(
      `submitted nothing more (${5 - paid} node${5 - paid === 1 ? '' : 's'} not run): the remote cache ` +
        's3://kontext-test/team denied the uploads (read-only credentials)',
    );
    expect(shardLine(denied)).toContain('give this job write credentials for it (s3:PutObject)');
    expect(putKeys(w.s3)).toEqual([]);

    // The same runner with write keys: pays only the nodes never paid, uploads all five.
    const again = await w.run(w.a, SHARD);
    expect(summaryOf(again)).toMatchObject({ exitCode: 0, submitted: 5 - paid });
    expect(putKeys(w.s3)).toHaveLength(10);
    expect(summaryOf(await w.run(w.b))).toMatchObject({ exitCode: 0, submitted: 0, cached: 5 });
  });

  it('the remote down at the first upload (503): the rest held back, 75; the remote back: uploads all', async () => {
    const w = world();
    const down = await withPuts(w, UNAVAILABLE, (env) => slowShard(w.a, env), true);
    const paid = summaryOf(down).submitted;
    expect(summaryOf(down).exitCode).toBe(75);
    expect(paid).toBeLessThan(5);
    const line = shardLine(down);
    expect(line).toContain(`submitted nothing more (${5 - paid} node`);
    expect(line).toContain(`${paid} result${paid === 1 ? '' : 's'} of this shard`);

    const again = await w.run(w.a, SHARD);
    expect(summaryOf(again)).toMatchObject({ exitCode: 0, submitted: 5 - paid });
    expect(putKeys(w.s3)).toHaveLength(10);
  });

  it("a recipe's remote used read-only: 0 submits, 77; --trust-recipe-hosting: the shard pays, uploads", async () => {
    const w = world();
    await w.a.writeRecipe(
      RECIPE.replace('provider: emulator', 'provider: emulator\ncache: { remote: "s3://kontext-test/team" }'),
    );
    const { KONTEXT_REMOTE_CACHE: _drop, ...env } = w.env();
    const untrusted = await w.run(w.a, SHARD, env);
    expect(summaryOf(untrusted)).toMatchObject({ exitCode: 77, submitted: 0, skipped: 5 });
    expect(shardLine(untrusted)).toContain('pass --trust-recipe-hosting');

    const trusted = await w.run(w.a, { ...SHARD, trustRecipeHosting: true }, env);
    expect(summaryOf(trusted)).toMatchObject({ exitCode: 0, submitted: 5 });
    expect(putKeys(w.s3)).toHaveLength(10);
  });

  it('local cache hits are still taken while the remote is down (and counted as not in it)', async () => {
    const w = world();
    expect(summaryOf(await w.run(w.a, { noRemote: true, only: ['sky'] }))).toMatchObject({ submitted: 1 });
    const down = await w.run(w.a, SHARD, w.env({}, DOWN));
    expect(summaryOf(down)).toMatchObject({ exitCode: 75, submitted: 0, cached: 1, skipped: 4 });
    expect(shardLine(down)).toContain('1 result of this shard is not in it');
  });

  it('the remote lost at a look-up mid-run: no input hosted ahead after it, while the wire empties', async () => {
    const w = world();
    const gate = await startUploadGate(w.s3.endpoint, 3);
    let failing = false;
    // The remote: its look-ups (GETs) refused once the first node has started (the key revoked).
    const remote = await startS3Proxy(w.s3.endpoint, {
      answer: (req, res) => {
        if (!failing || req.method !== 'GET') return false;
        req.resume();
        res.writeHead(403, { 'content-type': 'application/xml' }).end(REVOKED);
        return true;
      },
    });
    const hosting = { mode: 's3', bucket: w.s3.bucket, prefix: 'in', endpoint: gate.endpoint, force_path_style: true };
    await w.a.writeRecipe(recipe(hosting));
    // Every submit but the first answers after 0.7 s: one chain finishes (its next node's look-up
    // loses the remote) while the others are still on the wire, so the run goes on after the loss.
    w.rig.emulator.setScenario({ faults: [{ kind: 'slow', on: 'submit', nth: 2, times: 9, delay_ms: 700 }] });
    let atLoss: number | undefined;
    try {
      const run = await runIn(
        w.a,
        { ...SHARD, jobs: 2, trustRecipeHosting: true },
        {
          rig: w.rig,
          env: w.env({}, remote.endpoint),
          onEvent: (e) => {
            if (e.type === 'node-start') failing = true;
            if (e.type === 'warning' && e.message.includes('submitting nothing more') && atLoss === undefined) {
              atLoss = gate.forwarded.length;
              setTimeout(() => gate.open(), 150);
            }
          },
        },
      );
      expect(warnings(run)).toContainEqual(
        expect.stringMatching(/is not usable \(read: .*\); submitting nothing more$/),
      );
      expect(summaryOf(run)).toMatchObject({ exitCode: 75 });
      expect(skipped(run)).toContain('remote-unusable');
      expect(atLoss).toBe(3); // the inputs of the nodes that were sent (a, c, d)
      expect(gate.forwarded).toHaveLength(3); // and none after the loss (prefetch's of e: fix29 c)
    } finally {
      gate.open();
      await remote.close();
      await gate.close();
    }
  });
});
