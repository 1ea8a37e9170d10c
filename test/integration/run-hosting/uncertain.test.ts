/**
 * A node whose key holds a dead run's intent (no request id: maybe paid) is stopped (exit 75)
 * before anything of it is hosted: neither the prefetch ahead of the `-j` slots nor the node's own
 * slot uploads its input to S3 (s3rver counts the PUTs and HEADs).
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/index.js';
import type { TestS3Server } from '../../helpers/s3-server.js';
import { failures, s3Hosting, summaryOf, useS3Project, type Project } from './harness.js';
import { recipeYaml } from './recipe.js';

let s3: TestS3Server;
let project: Project;
useS3Project((server, p) => {
  s3 = server;
  project = p;
});

/** A pid no process has (above Linux's largest): the intent's writer is dead. */
const DEAD_PID = 2 ** 22 + 7;

describe("a dead run's intent stops its node before hosting", () => {
  it('exit 75, listed as maybe paid, and its image is neither uploaded nor checked', async () => {
    await project.writeRecipe(recipeYaml({ hosting: s3Hosting(s3) }));
    expect(summaryOf(await project.run())).toMatchObject({ exitCode: 0, done: 5 });
    const lock = JSON.parse(await readFile(join(project.root, 'recipe.lock.json'), 'utf8')) as {
      nodes: Record<string, { key: string; seed: number; input_sha256: string; model: string }>;
    };
    const cat = lock.nodes['label@cat'];
    if (!cat) throw new Error('label@cat is not in the lock');
    const store = await openStore(project.cacheDir);
    await store.journal.add({
      key: cat.key,
      node: 'label@cat',
      provider: 'runcomfy',
      model: cat.model,
      seed: cat.seed,
      input_sha256: cat.input_sha256,
      pid: DEAD_PID,
      submitted_at: new Date().toISOString(),
    });
    // No URL records left: hosting an image again would upload it.
    await rm(join(project.cacheDir, 'hosted'), { recursive: true, force: true });
    const before = s3.requests.length;
    // With -j 1, background runs first (its submit held 1.5 s): time for the prefetch to host ahead.
    project.emulator.setScenario({ faults: [{ kind: 'slow', on: 'submit', nth: 1, delay_ms: 1500 }] });
    const run = await project.run({ options: { jobs: 1, force: ['background', 'label@cat'] } });
    // The other node is not hurt by it: its upload (hosted ahead) goes on.
    expect(failures(run)).toEqual([expect.stringMatching(/^label@cat: E_SUBMIT_UNCERTAIN /)]);
    expect(summaryOf(run)).toMatchObject({ exitCode: 75, done: 1, uncertain: ['label@cat'] });
    const objects = s3.requests.slice(before).filter((r) => r.method === 'PUT' || r.method === 'HEAD');
    expect(objects.some((r) => r.path.includes(lock.nodes['background']?.input_sha256 ?? '?'))).toBe(true);
    expect(objects.filter((r) => r.path.includes(cat.input_sha256))).toEqual([]);
  });
});
