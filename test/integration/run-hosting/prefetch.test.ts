/**
 * Uploads overlap with remote work: local sources are hosted ahead of their nodes (outside the
 * `-j` slots) when their URLs live long enough to be reused when the node's turn comes;
 * shorter-lived ones are made in the node's slot. Either way each image is hosted once.
 */
import { describe, expect, it } from 'vitest';
import type { HostingConfig, RunEvent } from '../../../src/index.js';
import type { TestS3Server } from '../../helpers/s3-server.js';
import { s3Hosting, useS3Project, failures, summaryOf, type Project } from './harness.js';
import { recipeYaml } from './recipe.js';

let s3: TestS3Server;
let project: Project;
useS3Project((server, p) => {
  s3 = server;
  project = p;
});

const hosting = (extra: Partial<Extract<HostingConfig, { mode: 's3' }>> = {}): HostingConfig => s3Hosting(s3, extra);

describe('hosting ahead of the -j slots', () => {
  it('-j 1: every source is uploaded while the first node is still at the API', async () => {
    await project.writeRecipe(recipeYaml({ hosting: hosting() }));
    // The first submit takes 1.5 s to answer: plenty of time for two ~30 kB uploads.
    project.emulator.setScenario({ faults: [{ kind: 'slow', on: 'submit', nth: 1, delay_ms: 1500 }] });
    const putsAtStart = new Map<string, number>();
    const onEvent = (e: RunEvent): void => {
      if (e.type === 'node-start') putsAtStart.set(e.node, s3.count('PUT'));
    };
    const run = await project.run({ options: { jobs: 1 }, onEvent });
    expect(failures(run)).toEqual([]);
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 5 });
    // With -j 1 the glob nodes start only after `background` is done; their images are already up.
    expect(putsAtStart.get('background')).toBeLessThanOrEqual(1);
    expect(putsAtStart.get('label@cat')).toBe(3);
    expect(putsAtStart.get('label@coffee')).toBe(3);
    expect(s3.count('PUT')).toBe(3);
  });
});
