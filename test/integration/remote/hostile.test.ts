/**
 * A hostile remote cache: records that carry fields no upload of ours ever holds, and servers
 * that misbehave on the wire. None of it may reach the local store, the lock or out/ as if it
 * were ours, nor hold the run, nor leak a credential.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { METRIC } from '../../../src/review/metric.js';
import { layout } from '../../../src/store/layout.js';
import type { RunRecord } from '../../../src/store/types.js';
import { writeReport } from '../../../src/index.js';
import { recipeYaml, summaryOf, testRuntime } from '../../helpers/run-fixtures.js';
import { blobKey, overwrite, recordKey, useWorld, warnings } from './harness.js';
import { startS3Proxy } from './proxy.js';

// The emulator's outputs change nearly every pixel: 5% is exceeded by any honest review.
const world = useWorld(
  recipeYaml([
    ['sky', 'Keep the face unchanged. Make the sky orange.', 'from: photo', 'seed: 11', 'max_change: 5%'],
    ['hat', 'Keep the face unchanged. Add a red hat.', 'from: photo', 'seed: 12'],
  ]),
);

async function localRecord(cacheDir: string, key: string): Promise<RunRecord> {
  return JSON.parse(await readFile(layout.record(cacheDir, key), 'utf8')) as RunRecord;
}

describe('a hostile remote record', () => {
  it("a change review in a remote record is not taken: the node's drift is judged here", async () => {
    const w = world();
    const first = await w.run(w.a);
    expect(first.events.filter((e) => e.type === 'warning' && e.drift !== undefined)).toHaveLength(1);
    const sky = (await w.a.readLock()).nodes['sky'];
    if (!sky) throw new Error('no lock entry for sky');
    const text = (await w.s3.readObject(recordKey(sky.key)))?.body.toString('utf8') ?? '{}';
    // Our uploads never carry a review: this one says "nothing changed", with a map of its choosing.
    const review = {
      metric: METRIC, // the current metric's name: taken if it were trusted
      threshold: 10,
      changed_pct: 0,
      chain_changed_pct: 0,
      map_sha256: sky.output_sha256,
      width: 1,
      height: 1,
    };
    await overwrite(w, recordKey(sky.key), Buffer.from(JSON.stringify({ ...JSON.parse(text), review })));

    const second = await w.run(w.b);
    expect(summaryOf(second)).toMatchObject({ exitCode: 0, cached: 2, submitted: 0 });
    const drift = second.events.filter((e) => e.type === 'warning' && e.drift !== undefined);
    expect(drift.map((e) => e.type === 'warning' && e.node)).toEqual(['sky']);
    const kept = await localRecord(w.b.cacheDir, sky.key);
    expect(kept.review?.changed_pct).toBeGreaterThan(5);
    expect(kept.review?.map_sha256).not.toBe(sky.output_sha256);
  });
  it('a price, an output URL or a field of its own in a remote record is kept nowhere, nor shown', async () => {
    const w = world();
    await w.run(w.a);
    const hat = (await w.a.readLock()).nodes['hat'];
    if (!hat) throw new Error('no lock entry for hat');
    const text = (await w.s3.readObject(recordKey(hat.key)))?.body.toString('utf8') ?? '{}';
    expect(Object.keys(JSON.parse(text) as object)).not.toContain('cost_usd'); // our uploads carry none
    const extra = { cost_usd: 1e9, output_url: 'https://attacker.example/x.png', local_path: '/etc/passwd' };
    await overwrite(w, recordKey(hat.key), Buffer.from(JSON.stringify({ ...JSON.parse(text), ...extra })));

    const second = await w.run(w.b);
    expect(summaryOf(second)).toMatchObject({ exitCode: 0, submitted: 0 });
    const kept = (await localRecord(w.b.cacheDir, hat.key)) as RunRecord & Record<string, unknown>;
    expect(kept.output_sha256).toBe(hat.output_sha256);
    for (const field of Object.keys(extra)) expect(kept).not.toHaveProperty(field);
    const report = await writeReport(w.b.recipe, {}, { rt: testRuntime(w.b.root, w.env()) });
    const cost = report.data.nodes.find((n) => n.id === 'hat')?.costUsd;
    expect(cost === null || (cost !== undefined && cost < 1)).toBe(true);
    expect(report.data.costUsd ?? 0).toBeLessThan(1);
  });

  it("a record's extension not exactly its image's (PNG for png) is refused: out/ keeps the payer's", async () => {
    const w = world();
    await w.run(w.a);
    const hat = (await w.a.readLock()).nodes['hat'];
    if (!hat) throw new Error('no lock entry for hat');
    const text = (await w.s3.readObject(recordKey(hat.key)))?.body.toString('utf8') ?? '{}';
    await overwrite(w, recordKey(hat.key), Buffer.from(JSON.stringify({ ...JSON.parse(text), ext: 'PNG' })));

    const second = await w.run(w.b);
    expect(summaryOf(second)).toMatchObject({ exitCode: 0, cached: 1, submitted: 1 });
    expect(warnings(second).filter((m) => !m.includes('max_change'))).toEqual([
      expect.stringContaining('its record says .PNG'),
    ]);
    expect((await w.b.readLock()).nodes['hat']?.output).toBe(hat.output);
  });
});

describe('a hostile remote server', () => {
  it('a blob larger than any upload of ours is refused from its Content-Length, not downloaded', async () => {
    const w = world();
    await w.run(w.a);
    const sky = (await w.a.readLock()).nodes['sky'];
    if (!sky) throw new Error('no lock entry for sky');
    let sent = 0;
    const proxy = await startS3Proxy(w.s3.endpoint, {
      answer: (req, res) => {
        if (req.method !== 'GET' || !(req.url ?? '').includes(blobKey(sky.output_sha256))) return false;
        // 300 MiB announced (over the 256 MiB upload cap), zeros sent for as long as they are read.
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(300 * 1024 ** 2) });
        const chunk = Buffer.alloc(1024 ** 2);
        const more = (): void => {
          while (!res.destroyed && sent < 300 * 1024 ** 2) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', more);
          }
          res.end();
        };
        more();
        return true;
      },
    });
    try {
      const second = await w.run(w.b, {}, w.env({}, proxy.endpoint));
      expect(summaryOf(second)).toMatchObject({ exitCode: 0, cached: 1, submitted: 1 });
      const told = warnings(second).filter((m) => !m.includes('max_change'));
      expect(told).toEqual([expect.stringMatching(/is 314572800 bytes \(cap 268435456\); not used$/)]);
      // Refused from its headers: at most what the socket buffers took before the client hung up.
      expect(sent).toBeLessThan(32 * 1024 ** 2);
    } finally {
      await proxy.close();
    }
  });

  it('a server trickling a record byte by byte is given up after a grace, and the run goes on', async () => {
    const w = world();
    await w.run(w.a);
    const sky = (await w.a.readLock()).nodes['sky'];
    if (!sky) throw new Error('no lock entry for sky');
    const proxy = await startS3Proxy(w.s3.endpoint, {
      answer: (req, res) => {
        if (req.method !== 'GET' || !(req.url ?? '').includes(recordKey(sky.key))) return false;
        // undici's timeouts are per chunk: a byte every 200 ms keeps each of them from firing.
        const body = Buffer.alloc(4096, 32);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
        let at = 0;
        const timer = setInterval(() => {
          if (at < body.length) res.write(body.subarray(at, ++at));
        }, 200);
        res.on('close', () => clearInterval(timer));
        return true;
      },
    });
    try {
      const second = await w.run(w.b, {}, w.env({}, proxy.endpoint));
      expect(summaryOf(second)).toMatchObject({ exitCode: 0, cached: 1, submitted: 1 });
      const told = warnings(second).filter((m) => !m.includes('max_change'));
      expect(told).toEqual([expect.stringMatching(/is not usable \(.*too slowly.*\); going on without it$/)]);
    } finally {
      await proxy.close();
    }
  }, 40_000);

  // Headers, then not a byte: undici's body timeout (60 s) would hold the look-up, and the run. The
  // once-a-second check cuts it off as soon as the grace is over: 1 s here (the trickle above waits
  // out the product's 10 s).
  for (const [what, length, object] of [
    ['a record', 4096, (sky: { key: string }) => recordKey(sky.key)],
    ['a blob (streamed)', 2 * 1024 ** 2, (sky: { output_sha256: string }) => blobKey(sky.output_sha256)],
  ] as const) {
    it(`a server sending ${what}'s headers and then nothing is given up after the grace too`, async () => {
      const w = world();
      await w.run(w.a);
      const sky = (await w.a.readLock()).nodes['sky'];
      if (!sky) throw new Error('no lock entry for sky');
      const proxy = await startS3Proxy(w.s3.endpoint, {
        answer: (req, res) => {
          if (req.method !== 'GET' || !(req.url ?? '').includes(object(sky))) return false;
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(length) });
          res.flushHeaders();
          return true;
        },
      });
      try {
        const started = Date.now();
        const second = await w.run(w.b, {}, w.env({}, proxy.endpoint), { slowGraceMs: 1_000 });
        expect(summaryOf(second)).toMatchObject({ exitCode: 0, submitted: 1 });
        const told = warnings(second).filter((m) => !m.includes('max_change'));
        expect(told).toEqual([
          expect.stringMatching(/is not usable \(.*too slowly \(0 bytes.*\); going on without it$/),
        ]);
        // Under the product's 10 s grace: the bound the run was given is the one it used.
        expect(Date.now() - started).toBeLessThan(9_000);
      } finally {
        await proxy.close();
      }
    }, 40_000);
  }

  // One connection dropped mid-body: the GET is sent again, not the remote turned off for the run
  // with every result paid again (walk-v 1). Small objects are read into memory, large streamed.
  for (const [what, length, object] of [
    ['a record', 4096, (sky: { key: string }) => recordKey(sky.key)],
    ['a blob', 4096, (sky: { output_sha256: string }) => blobKey(sky.output_sha256)],
    ['a blob (streamed)', 2 * 1024 ** 2, (sky: { output_sha256: string }) => blobKey(sky.output_sha256)],
  ] as const) {
    it(`${what} whose body is cut off once is fetched again: the run pays nothing`, async () => {
      const w = world();
      await w.run(w.a);
      const sky = (await w.a.readLock()).nodes['sky'];
      if (!sky) throw new Error('no lock entry for sky');
      let cut = 0;
      const proxy = await startS3Proxy(w.s3.endpoint, {
        answer: (req, res) => {
          if (cut > 0 || req.method !== 'GET' || !(req.url ?? '').includes(object(sky))) return false;
          cut++;
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(length) });
          res.write(Buffer.alloc(length / 2, 32), () => res.destroy());
          return true;
        },
      });
      try {
        const second = await w.run(w.b, {}, w.env({}, proxy.endpoint));
        expect(cut).toBe(1);
        expect(summaryOf(second)).toMatchObject({ exitCode: 0, cached: 2, submitted: 0 });
        expect(warnings(second).filter((m) => m.includes('remote cache'))).toEqual([]);
        expect(proxy.seen.filter((r) => r.startsWith('GET') && r.includes(object(sky)))).toHaveLength(2);
      } finally {
        await proxy.close();
      }
    });
  }
});
