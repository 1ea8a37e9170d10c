/**
 * The run's summary is its last event, sent once the uploads to the remote cache have been
 * waited for, and it carries the exit code the run ends with (`result.summary.exitCode`, what the
 * CLI exits with): a remote that is down (its notice before the summary; a shard's exit 75),
 * uploads still going at the end, Ctrl-C while they finish (exit 130; the summary's time counts
 * that wait); `kontext edit` (runEdit) the same.
 */
import { describe, expect, it } from 'vitest';
import { runRecipe, type RunEvent, type RunRecipeResult, type RunSummary } from '../../../src/index.js';
import { runEdit } from '../../../src/run/edit.js';
import { testRuntime, type InProcessRun } from '../../helpers/run-fixtures.js';
import { notices, useWorld, warnings } from './harness.js';
import { startS3Proxy } from './proxy.js';

const world = useWorld();
const DOWN = 'http://127.0.0.1:9'; // nothing listens: refused

/** The last event, which must be `run-summary`, and the run's result summary, which must agree with it. */
function lastSummary(run: { readonly result: RunRecipeResult; readonly events: readonly RunEvent[] }) {
  if (run.result.kind !== 'run') throw new Error('expected a real run');
  return summaryLast(run.events, run.result.summary);
}

function summaryLast(events: readonly RunEvent[], summary: RunSummary) {
  const last = events.at(-1);
  if (last?.type !== 'run-summary') throw new Error(`the last event is ${JSON.stringify(last)}`);
  expect(events.filter((e) => e.type === 'run-summary')).toHaveLength(1);
  expect(last.exit_code).toBe(summary.exitCode);
  expect(last.submitted).toBe(summary.submitted);
  return last;
}

describe('run-summary is the last word', () => {
  it('a plain run with the remote down: its notice comes before the summary, exit 0', async () => {
    const w = world();
    const run: InProcessRun = await w.run(w.a, {}, w.env({}, DOWN));
    expect(notices(run)).toContainEqual(expect.stringContaining('not uploaded; the next run with this remote'));
    expect(lastSummary(run)).toMatchObject({ exit_code: 0, submitted: 5, done: 5 });
  }, 60_000);

  it('a shard with the remote down: the summary, last, says exit 75 as the run ends with', async () => {
    const w = world();
    const run = await w.run(w.a, { shard: { index: 1, count: 1 } }, w.env({}, DOWN));
    expect(warnings(run)).toContainEqual(expect.stringContaining('shard 1/1: submitted nothing (5 nodes not run)'));
    expect(lastSummary(run)).toMatchObject({ exit_code: 75, submitted: 0 });
  }, 60_000);

  it('uploads still going at the end: "uploading N…" and then the summary', async () => {
    const w = world();
    const proxy = await startS3Proxy(w.s3.endpoint, { holdWritesMs: 300 });
    try {
      const run = await w.run(w.a, {}, w.env({}, proxy.endpoint));
      expect(notices(run)).toContainEqual(expect.stringMatching(/^uploading \d+ to remote cache/));
      expect(lastSummary(run)).toMatchObject({ exit_code: 0, submitted: 5 });
    } finally {
      await proxy.close();
    }
  }, 60_000);

  it('Ctrl-C while the last uploads finish: after the 5 s grace, the summary says 130', async () => {
    const w = world();
    const proxy = await startS3Proxy(w.s3.endpoint, { holdWritesMs: 60_000 });
    try {
      const interrupt = new AbortController();
      const events: RunEvent[] = [];
      const onEvent = (e: RunEvent): void => {
        events.push(e);
        // The scheduler is done: the run waits for its uploads to the remote cache.
        if (e.type === 'notice' && e.message.startsWith('uploading ')) interrupt.abort();
      };
      const rt = testRuntime(w.a.root, w.env({}, proxy.endpoint));
      const result = await runRecipe(
        w.a.recipe,
        { jobs: 4, signal: interrupt.signal },
        { rt, onEvent, session: w.rig.session },
      );
      expect(interrupt.signal.aborted).toBe(true);
      const said = events.flatMap((e) => (e.type === 'notice' ? [e.message] : []));
      expect(said).toContainEqual(expect.stringContaining('not uploaded; the next run with this remote'));
      const summary = lastSummary({ result, events });
      expect(summary).toMatchObject({ exit_code: 130, done: 5 });
      // Its time counts the wait for the uploads (their 5 s grace), as the result's does.
      expect(summary.ms).toBeGreaterThanOrEqual(5_000);
      expect(result.kind === 'run' && result.summary.ms).toBe(summary.ms);
    } finally {
      await proxy.close();
    }
  }, 60_000);

  it('kontext edit with the remote down: its notice, then the summary', async () => {
    const w = world();
    const api = { RUNCOMFY_MODEL_API_BASE: w.rig.emulator.baseUrl, KONTEXT_ALLOW_HOSTS: '127.0.0.1' };
    const rt = testRuntime(w.a.root, { ...w.env({}, DOWN), ...api, RUNCOMFY_TOKEN: 'test-token' });
    const events: RunEvent[] = [];
    const result = await runEdit(
      {
        image: 'assets/portrait-astronaut.jpg',
        prompt: 'Keep the face unchanged. Add a green scarf.',
        seed: 7,
        output: 'edited/scarf.png',
        provider: 'runcomfy',
        hosting: 'inline',
      },
      { rt, onEvent: (e) => events.push(e) },
    );
    expect(result.output).not.toBeNull();
    const said = events.flatMap((e) => (e.type === 'notice' ? [e.message] : []));
    expect(said).toContainEqual(expect.stringContaining('not uploaded; the next run with this remote'));
    expect(summaryLast(events, result.summary)).toMatchObject({ exit_code: 0, submitted: 1 });
  }, 60_000);
});
