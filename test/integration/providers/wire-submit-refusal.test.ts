/**
 * A BFL or fal.ai submit is sent again only when the reply proves it was not taken (a 429, a 503 in
 * the service's own JSON, no connection made). A proxy's 502/503/504 page or empty body, a reset
 * and a reply that never comes may follow an accepted (paid) request: "maybe accepted", never
 * repeated. A refusal asking for a wait past the request's deadline fails at once (a shorter one is
 * waited out: submit-retry-after.test.ts). The emulator's
 * `after_accept` faults accept the job first; its log's `accepted` counts what was paid.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../../src/errors.js';
import type { ScenarioInput } from '../../../src/emulator/index.js';
import { type ProviderError, RateLimitedError, SubmitUncertainError } from '../../../src/providers/runcomfy/errors.js';
import type { Provider } from '../../../src/providers/types.js';
import { provesNotAccepted } from '../../../src/run/submit-claim.js';
import { bflHarness, editRequest, falHarness, type HostedHarness, rejection } from './bfl-fal-harness.js';

let h: HostedHarness<Provider> | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const PROVIDERS = [
  { name: 'BFL', harness: bflHarness, submit: '/v1/flux-kontext-pro' },
  { name: 'fal.ai', harness: falHarness, submit: '/fal-ai/flux-pro/kontext' },
] as const;

type Setup = (typeof PROVIDERS)[number];

async function start(p: Setup, scenario: ScenarioInput, client: Record<string, unknown> = {}) {
  h = await p.harness({ scenario, client });
  return h;
}

/** Submits that reached the emulator, and the jobs it accepted (paid) among them. */
function submits(harness: HostedHarness<Provider>, path: string): { sent: number; paid: number } {
  const log = harness.emulator.requestLog().filter((e) => e.method === 'POST' && e.path === path);
  return { sent: log.length, paid: log.filter((e) => e.accepted === true).length };
}

describe.each(PROVIDERS)('$name submit: retried only when refused', (p) => {
  it.each(['html', 'empty'] as const)(
    "a 503 with a proxy's %s body after the job was accepted: maybe paid, never sent again",
    async (body) => {
      const harness = await start(p, {
        faults: [{ kind: 'http', on: 'submit', status: 503, body, after_accept: true }],
      });
      const e = await rejection(harness.provider.submit(await editRequest()));
      expect(e).toBeInstanceOf(SubmitUncertainError);
      expect((e as ProviderError).hint).toMatch(/not .*own JSON reply may come from a proxy/);
      expect(provesNotAccepted(e)).toBe(false);
      expect(submits(harness, p.submit)).toEqual({ sent: 1, paid: 1 });
      expect(harness.retries).toEqual([]);
    },
  );

  it.each([502, 504])('a proxy page %i after the job was accepted: maybe paid, never sent again', async (status) => {
    const harness = await start(p, {
      faults: [{ kind: 'http', on: 'submit', status, body: 'html', after_accept: true }],
    });
    const e = await rejection(harness.provider.submit(await editRequest()));
    expect(e).toBeInstanceOf(SubmitUncertainError);
    expect(provesNotAccepted(e)).toBe(false);
    expect(submits(harness, p.submit)).toEqual({ sent: 1, paid: 1 });
  });

  it('a reset after the job was accepted, or no reply in time: maybe paid, not sent again', async () => {
    const harness = await start(p, { faults: [{ kind: 'reset', on: 'submit', after_accept: true }] });
    const e = await rejection(harness.provider.submit(await editRequest()));
    expect(e).toBeInstanceOf(SubmitUncertainError);
    expect(provesNotAccepted(e)).toBe(false);
    expect(submits(harness, p.submit)).toEqual({ sent: 1, paid: 1 });
    await harness.close();
    const slow = await start(
      p,
      { faults: [{ kind: 'slow', on: 'submit', nth: 1, delay_ms: 2_500 }] }, // undici's timer ticks ~1 s
      { requestTimeoutMs: 150 },
    );
    const f = await rejection(slow.provider.submit(await editRequest()));
    expect(f).toBeInstanceOf(SubmitUncertainError);
    expect((f as ProviderError).message).toMatch(/UND_ERR_HEADERS_TIMEOUT/);
    expect(submits(slow, p.submit).sent).toBe(1);
    expect(slow.retries).toEqual([]);
  });

  it("the service's own 503 (JSON `detail`) is a refusal: sent again, one job paid", async () => {
    const harness = await start(p, { faults: [{ kind: 'http', on: 'submit', nth: 1, status: 503 }] });
    await harness.provider.submit(await editRequest());
    expect(submits(harness, p.submit)).toEqual({ sent: 2, paid: 1 });
    expect(harness.retries.map((r) => r.reason)).toEqual(['HTTP 503']);
  });

  it('a refusal asking for a day (Retry-After: 86400) fails at once, 75, as refused', async () => {
    for (const status of [429, 503]) {
      const harness = await start(p, { faults: [{ kind: 'http', on: 'submit', status, retry_after: 86_400 }] });
      const started = Date.now();
      const e = await rejection(harness.provider.submit(await editRequest()));
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(e).toBeInstanceOf(RateLimitedError);
      expect((e as ProviderError).exitCode).toBe(ExitCode.TEMP_FAIL);
      expect((e as ProviderError).message).toMatch(/asks to wait 86400 s .* not sent again/);
      expect(provesNotAccepted(e)).toBe(true);
      expect(submits(harness, p.submit)).toEqual({ sent: 1, paid: 0 });
      expect(harness.retries).toEqual([]);
      await harness.close();
      h = undefined;
    }
  });
});
