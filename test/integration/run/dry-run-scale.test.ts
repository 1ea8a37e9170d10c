/**
 * A dry run of a ~200k-node plan must print: nothing may spread the node list into function
 * arguments (`Math.max(...rows)` overflowed the stack from ~150k nodes: exit 70). The plan is
 * built by the real planner and printed by the real view; states are resolved for real on a
 * smaller plan (resolving 200k nodes takes longer than this test should).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { printDryRun } from '../../../src/cli/dry-run-view.js';
import { createStyle } from '../../../src/cli/reporters/ansi.js';
import { LiveState } from '../../../src/cli/reporters/live-state.js';
import { renderFrame } from '../../../src/cli/reporters/tty-frame.js';
import { buildPlan } from '../../../src/plan/index.js';
import type { Recipe } from '../../../src/recipe/types.js';
import { describeRun, type DryRunReport } from '../../../src/run/dry-run.js';
import { prepareRun } from '../../../src/run/prepare.js';
import { openStore } from '../../../src/store/index.js';
import { bufferSink, testRuntime } from '../../helpers/run-fixtures.js';
import { makeRecipe } from '../../unit/plan/factory.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-dry-scale-'));
  await writeFile(join(dir, 'shot.jpg'), 'shot');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** One file → a → `branches` passes of 64 variants each, all from a. */
function fanOut(branches: number): Recipe {
  const passes = Array.from({ length: branches }, (_, i) => ({ id: `b${i}`, from: 'a', variants: 64 }));
  const made = makeRecipe({ shot: 'shot.jpg' }, [{ id: 'a' }, ...passes]);
  const sources = made.sources.map((s) => ({
    ...s,
    instances: s.instances.map((i) => ({ ...i, path: join(dir, 'shot.jpg') })),
  }));
  return { ...made, sources };
}

describe('dry run at scale', () => {
  it('prints a 200k-node plan as a table and as JSON', { timeout: 30_000 }, () => {
    const plan = buildPlan(fanOut(3200));
    expect(plan.nodes.length).toBe(1 + 3200 * 64);
    const rows = plan.nodes.map((n, i) => ({
      node: n.id,
      status: 'run' as const,
      reason: 'new' as const,
      seed: i,
      seedSource: 'drawn',
      input: i === 0 ? 'inline data URI' : null,
      paid: true,
      stoppedBy: null,
      stopCode: null,
      waits: false,
    }));
    const report: DryRunReport = { rows, billable: rows.length, cached: 0, stopped: 0 };
    const out = bufferSink();
    printDryRun(report, { out, json: false, explain: true });
    expect(out.text()).toContain(`${rows.length} billable requests, 0 cached; nothing was submitted`);
    const json = bufferSink();
    printDryRun(report, { out: json, json: true, explain: false });
    expect(JSON.parse(json.text()).nodes).toHaveLength(rows.length);
  });

  it('resolves, describes and prints a real plan the same way', { timeout: 30_000 }, async () => {
    const plan = buildPlan(fanOut(100));
    const store = await openStore(join(dir, 'cache'));
    let seed = 0;
    const prepared = await prepareRun(
      plan,
      { store, providerName: 'emulator', lock: { version: 1, nodes: {} }, draw: () => seed++, self: testRuntime(dir) },
      { only: undefined, force: undefined, reseed: undefined },
    );
    const report = await describeRun(prepared, { store, hosting: null, now: () => 0, providerName: 'emulator' });
    const out = bufferSink();
    printDryRun(report, { out, json: false, explain: false });
    expect(out.text()).toContain(`${plan.nodes.length} billable requests, 0 cached`);
  });

  it('the live view measures many running nodes without spreading them', () => {
    const state = new LiveState();
    const start = { type: 'run-start', t: 0, recipe: 'r.yml', jobs: 4, provider: 'emulator' } as const;
    state.apply({ ...start, nodes: 200_000, to_run: 200_000, cached: 0 }, 0);
    for (let i = 0; i < 200_000; i++) state.apply({ type: 'node-start', t: 0, node: `n${i}`, reason: 'new' }, 0);
    const frame = renderFrame(state, { now: 1000, columns: 80, style: createStyle(false) });
    expect(frame.at(-1)).toContain('more');
  });
});
