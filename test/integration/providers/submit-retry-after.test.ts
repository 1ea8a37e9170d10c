/**
 * A refused submit (429) whose `Retry-After` asks for longer than the retry policy's usual bound
 * (60 s; 1 s here) is waited out in full, for every provider, when the wait ends within the
 * request's deadline (`deadlineMs`), and told as a retry carrying the wait asked; one that would
 * end past the deadline fails at once, naming the wait; Ctrl-C stops the wait at once, nothing
 * accepted. The runtime's sleep stands in for the long waits (nothing really sleeps 90 s).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ScenarioInput } from '../../../src/emulator/index.js';
import { ExitCode, InterruptedError } from '../../../src/errors.js';
import { type ProviderError, RateLimitedError } from '../../../src/providers/runcomfy/errors.js';
import type { Provider, RetryNotice } from '../../../src/providers/types.js';
import { provesNotAccepted } from '../../../src/run/submit-claim.js';
import { createRuntime, type Runtime, seededRandom } from '../../../src/runtime.js';
import { bflHarness, editRequest as bflEdit, falHarness, rejection as wireRejection } from './bfl-fal-harness.js';
import type { EmulatedHarness, HarnessSetup } from './emulated.js';
import { editRequest as rcEdit, harness as rcHarness, rejection as rcRejection } from './harness.js';
import { editRequest as repEdit, rejection as repRejection, replicateHarness } from './replicate-harness.js';

type AnyHarness = EmulatedHarness<Provider>;
type Start = (setup: HarnessSetup<{ rt: Runtime; deadlineMs: number }>) => Promise<AnyHarness>;

const PROVIDERS: readonly {
  name: string;
  start: Start;
  edit: typeof rcEdit;
  rejection: (p: Promise<unknown>) => Promise<unknown>;
}[] = [
  { name: 'RunComfy', start: rcHarness as Start, edit: rcEdit, rejection: rcRejection },
  { name: 'BFL', start: bflHarness as Start, edit: bflEdit, rejection: wireRejection },
  { name: 'fal.ai', start: falHarness as Start, edit: bflEdit, rejection: wireRejection },
  { name: 'Replicate', start: replicateHarness as Start, edit: repEdit, rejection: repRejection },
];

/** A wait at least this long is not really slept: it is noted and over at once. */
const LONG_MS = 10_000;

let h: AnyHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A runtime whose long sleeps are noted and end at once (short ones, the polls', are real). */
function fastLongSleeps(): { rt: Runtime; slept: number[] } {
  const real = createRuntime();
  const slept: number[] = [];
  const rt = createRuntime({
    env: {},
    random: seededRandom(42),
    sleep: (ms, signal) => {
      if (ms < LONG_MS) return real.sleep(ms, signal);
      slept.push(ms);
      return Promise.resolve();
    },
  });
  return { rt, slept };
}

/** The submits that reached the emulator (every POST but a cancel), and those it accepted (paid). */
function submits(harness: AnyHarness): { sent: number; paid: number } {
  const log = harness.emulator.requestLog().filter((e) => e.method === 'POST' && !e.path.endsWith('/cancel'));
  return { sent: log.length, paid: log.filter((e) => e.accepted === true).length };
}

const refusal = (retryAfterS: number): ScenarioInput => ({
  faults: [{ kind: 'http', on: 'submit', nth: 1, status: 429, retry_after: retryAfterS }],
});

describe.each(PROVIDERS)('$name: a refused submit asking for a long wait', (p) => {
  it('90 s asked, within the deadline: waited out in full and told, then one accepted submit', async () => {
    const { rt, slept } = fastLongSleeps();
    h = await p.start({ scenario: refusal(90), client: { rt } });
    const { requestId } = await h.provider.submit(await p.edit());
    expect(requestId).not.toBe('');
    expect(slept).toEqual([90_000]);
    const told: Partial<RetryNotice>[] = h.retries.map(({ call, delayMs, retryAfterMs, reason }) => ({
      call,
      delayMs,
      retryAfterMs,
      reason,
    }));
    expect(told).toEqual([{ call: 'submit', delayMs: 90_000, retryAfterMs: 90_000, reason: 'HTTP 429' }]);
    expect(submits(h)).toEqual({ sent: 2, paid: 1 });
  });

  it('a wait past the request deadline: fails at once (75), naming the wait, nothing paid', async () => {
    const { rt, slept } = fastLongSleeps();
    h = await p.start({ scenario: refusal(90), client: { rt, deadlineMs: 60_000 } });
    const e = await p.rejection(h.provider.submit(await p.edit()));
    expect(e).toBeInstanceOf(RateLimitedError);
    expect((e as ProviderError).exitCode).toBe(ExitCode.TEMP_FAIL);
    expect((e as ProviderError).message).toMatch(
      /asks to wait 90 s before sending it again, more than the 60 s left before the request's deadline: not sent/,
    );
    expect((e as ProviderError).hint).toMatch(/nothing was accepted or billed.*run again in 90 s or later/);
    expect(provesNotAccepted(e)).toBe(true);
    expect(slept).toEqual([]);
    expect(h.retries).toEqual([]);
    expect(submits(h)).toEqual({ sent: 1, paid: 0 });
  });

  it.each(['signal', 'stop'] as const)(
    'Ctrl-C (the %s) during the wait stops it at once: nothing accepted, not sent again',
    async (which) => {
      h = await p.start({ scenario: refusal(90) }); // the real sleep: 90 s unless stopped
      const ctrlC = new AbortController();
      // `stop`: the run's own Ctrl-C, while `signal` (its grace for an attempt on the wire) runs on.
      const grace = new AbortController();
      const [signal, stop] = which === 'signal' ? [ctrlC.signal, undefined] : [grace.signal, ctrlC.signal];
      const e = await p.rejection(h.provider.submit(await p.edit(), signal, () => ctrlC.abort(), stop));
      expect(e).toBeInstanceOf(InterruptedError);
      expect(provesNotAccepted(e)).toBe(true);
      expect(h.retries.map((r) => r.retryAfterMs)).toEqual([90_000]);
      expect(submits(h)).toEqual({ sent: 1, paid: 0 });
    },
    30_000,
  );
});
