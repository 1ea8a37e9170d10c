/**
 * Ctrl-C while a fal or Replicate request is still queued: the run cancels it (the API confirms),
 * but neither provider documents such a request as unbilled, so the summary keeps it as maybe paid
 * at its price and says why (`cancelled_unconfirmed`, "cancelled while queued, which fal does not
 * document as unbilled"); RunComfy's own cancel is taken out of the money (cli/watch tests). Through
 * the emulator's fal and Replicate protocols, the request held queued for a minute.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { summaryLine } from '../../../src/cli/reporters/lines.js';
import { type EmulatorHandle, startEmulator } from '../../../src/emulator/index.js';
import { runRecipe, type RunEvent } from '../../../src/index.js';
import { createProject, eventsOf, type Project, testRuntime } from '../../helpers/run-fixtures.js';

let emulator: EmulatorHandle | undefined;
let project: Project | undefined;
afterEach(async () => {
  await emulator?.close();
  await project?.cleanup();
  emulator = undefined;
  project = undefined;
});

const recipe = (provider: string): string => `version: 1
name: test
provider: ${provider}
model: flux-kontext-pro
sources:
  photo: assets/portrait-astronaut.jpg
passes:
  - id: a
    prompt: "Keep the face unchanged. Make the sky orange."
`;

const PROVIDERS = [
  {
    provider: 'fal',
    env: (origin: string) => ({ FAL_KEY: 'fal-id:fal-secret-test', FAL_QUEUE_BASE: origin }),
    cancel: (e: { method: string; path: string }) => e.method === 'PUT' && e.path.endsWith('/cancel'),
  },
  {
    provider: 'replicate',
    env: (origin: string) => ({
      REPLICATE_API_TOKEN: 'r8_test-token',
      REPLICATE_API_BASE: origin,
      KONTEXT_REPLICATE_WAIT_S: '0',
    }),
    cancel: (e: { method: string; path: string }) => e.method === 'POST' && e.path.endsWith('/cancel'),
  },
] as const;

const plain = { red: String, green: String, yellow: String, dim: String, bold: String, cyan: String };

describe.each(PROVIDERS)('$provider: a request cancelled while queued', (p) => {
  it('stays maybe paid at its price, and the summary says why', async () => {
    emulator = await startEmulator({ queueMs: 60_000, runMs: 20 });
    project = await createProject(recipe(p.provider));
    const stop = new AbortController();
    const events: RunEvent[] = [];
    const onEvent = (e: RunEvent): void => {
      events.push(e);
      if (e.type === 'node-state' && e.phase === 'queued' && e.request_id !== undefined) stop.abort();
    };
    const env = { ...p.env(emulator.origin), KONTEXT_ALLOW_HOSTS: '127.0.0.1' };
    const result = await runRecipe(
      project.recipe,
      { jobs: 1, signal: stop.signal },
      { rt: testRuntime(project.root, env), onEvent },
    );
    expect(result.kind === 'run' && result.summary.exitCode).toBe(130);
    const cancels = emulator.requestLog().filter((e) => p.cancel(e) && e.status < 300);
    expect(cancels).toHaveLength(1);
    const [summary] = eventsOf(events, 'run-summary');
    expect(summary?.spend).toEqual({
      requests: 1,
      maybe_paid: 1,
      cancelled: 0,
      cancelled_unconfirmed: 1,
      unpriced: 0,
      known_usd: 0.04,
      by_model: [
        { provider: p.provider, model: expect.any(String), requests: 1, price_usd: 0.04, cancelled_unconfirmed: 1 },
      ],
    });
    expect(summary && summaryLine(summary, plain)).toContain(
      'spent $0.04 (1 request, 1 maybe paid: cancelled while queued, ' +
        `which ${p.provider} does not document as unbilled)`,
    );
  }, 30_000);
});
