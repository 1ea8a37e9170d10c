/**
 * What proves a request gone, per provider, against the real emulator on 127.0.0.1: only the
 * service's own "unknown request" (RunComfy's JSON error_code 404001, BFL's JSON `Task not
 * found`, fal's JSON 404 naming the request, Replicate's JSON problem 404) is a RequestGoneError
 * (a re-attach may then submit anew). A 404 that a proxy or load balancer could have sent (an
 * HTML page, an empty body, a JSON body not in the service's shape) stays an InputRejectedError,
 * which proves nothing. And a finished request without an output URL is an OutputMissingError
 * (paid for, read again), not a remote failure; read again once the service has it, it is there.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../../src/emulator/index.js';
import {
  InputRejectedError,
  OutputMissingError,
  type ProviderError,
  RemoteFailedError,
  RequestGoneError,
} from '../../../src/providers/runcomfy/errors.js';
import type { EditRequest, Provider } from '../../../src/providers/types.js';
import {
  bflHarness,
  falHarness,
  editRequest as hostedRequest,
  rejection as hostedRejection,
} from './bfl-fal-harness.js';
import { editRequest as runcomfyRequest, harness, rejection as runcomfyRejection } from './harness.js';
import {
  replicateHarness,
  editRequest as replicateRequest,
  rejection as replicateRejection,
} from './replicate-harness.js';

interface Under {
  readonly emulator: EmulatorHandle;
  readonly provider: Provider;
  close(): Promise<void>;
}

interface Case {
  readonly name: string;
  readonly open: () => Promise<Under>;
  /** A request id the emulator does not know. */
  readonly unknown: (h: Under) => string;
  readonly request: () => Promise<EditRequest>;
  readonly rejection: (p: Promise<unknown>) => Promise<unknown>;
  /** A 404 in the API's own JSON error shape that still does not say the request is unknown. */
  readonly otherJson404: boolean;
}

const CASES: readonly Case[] = [
  {
    name: 'runcomfy',
    open: () => harness(),
    unknown: () => 'no-such-request',
    request: () => runcomfyRequest(),
    rejection: runcomfyRejection,
    otherJson404: true,
  },
  {
    name: 'bfl',
    open: () => bflHarness(),
    unknown: (h) => `${h.emulator.pollOrigin}/v1/get_result?id=no-such-task`,
    request: () => hostedRequest(),
    rejection: hostedRejection,
    otherJson404: true,
  },
  {
    name: 'fal',
    open: () => falHarness(),
    unknown: () => 'no-such-request',
    request: () => hostedRequest(),
    rejection: hostedRejection,
    otherJson404: true,
  },
  {
    name: 'replicate',
    open: () => replicateHarness(),
    unknown: () => 'no-such-prediction',
    request: () => replicateRequest(),
    rejection: replicateRejection,
    // Replicate's own problem 404 on a prediction read is its word that the prediction is unknown.
    otherJson404: false,
  },
];

let h: Under | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A 404 on every status and result read, with this body. */
function fault404(body: 'html' | 'empty' | 'native', errorCode?: number) {
  const on = (target: 'status' | 'result') => ({
    kind: 'http' as const,
    on: target,
    status: 404,
    body,
    ...(errorCode === undefined ? {} : { error_code: errorCode }),
  });
  return { faults: [on('status'), on('result')] };
}

describe.each(CASES)('$name: what proves a request gone', (c) => {
  it("the service's own unknown-request reply → RequestGoneError (exit 75), not retried", async () => {
    h = await c.open();
    const e = await c.rejection(h.provider.wait(c.unknown(h)));
    expect(e).toBeInstanceOf(RequestGoneError);
    expect((e as ProviderError).exitCode).toBe(75);
  });

  it.each(['html', 'empty'] as const)('a %s 404 (a proxy, a load balancer) proves nothing', async (body) => {
    h = await c.open();
    const e = await c.rejection(h.provider.wait(c.unknown(h)));
    expect(e).toBeInstanceOf(RequestGoneError); // the emulator's own answer, for contrast
    h.emulator.setScenario(fault404(body));
    const proxied = await c.rejection(h.provider.wait(c.unknown(h)));
    expect(proxied).not.toBeInstanceOf(RequestGoneError);
    expect(proxied).toBeInstanceOf(InputRejectedError);
    expect((proxied as ProviderError).status).toBe(404);
  });

  it.runIf(c.otherJson404)('a JSON 404 not in the shape of an unknown request proves nothing', async () => {
    h = await c.open();
    // RunComfy: a JSON error without 404001; BFL, fal: FastAPI's generic {"detail": "Not found"}.
    h.emulator.setScenario(fault404('native', 404000));
    const e = await c.rejection(h.provider.wait(c.unknown(h)));
    expect(e).not.toBeInstanceOf(RequestGoneError);
    expect((e as ProviderError).status).toBe(404);
  });

  it('finished without an output URL → OutputMissingError; read again later, the output is there', async () => {
    h = await c.open();
    h.emulator.setScenario({ faults: [{ kind: 'missing-output' }] });
    const { requestId } = await h.provider.submit(await c.request());
    const e = await c.rejection(h.provider.wait(requestId));
    expect(e).toBeInstanceOf(OutputMissingError);
    expect((e as ProviderError).exitCode).toBe(75);
    h.emulator.setScenario({});
    const done = await h.provider.wait(requestId);
    expect(done.outputUrls).toHaveLength(1);
  });
});

describe("a finished request's result read answering the service's unknown-request: a glitch, not gone", () => {
  // The status read just said the request is over: a re-attach must not take this read for a lost
  // request and pay again. It is a result not readable yet (OutputMissingError: read again, kept).
  it('runcomfy (JSON 404001 on the result, the status completed)', async () => {
    const r = await harness();
    h = r;
    const { requestId } = await r.provider.submit(await runcomfyRequest());
    r.emulator.setScenario({ faults: [{ kind: 'http', on: 'result', status: 404, error_code: 404001 }] });
    const e = await runcomfyRejection(r.provider.wait(requestId));
    expect(e).toBeInstanceOf(OutputMissingError);
    expect((e as ProviderError).exitCode).toBe(75);
    r.emulator.setScenario({});
    expect((await r.provider.wait(requestId)).outputUrls).toHaveLength(1);
  });

  it('fal (a JSON 404 naming the request on the result, the status COMPLETED)', async () => {
    const f = await falHarness({ client: { statusStream: false } });
    h = f;
    const { requestId } = await f.provider.submit(await hostedRequest());
    const message = `Request ${requestId} not found`;
    f.emulator.setScenario({ faults: [{ kind: 'http', on: 'result', status: 404, message }] });
    const e = await hostedRejection(f.provider.wait(requestId));
    expect(e).toBeInstanceOf(OutputMissingError);
    f.emulator.setScenario({});
    expect((await f.provider.wait(requestId)).outputUrls).toHaveLength(1);
  });
});

describe("fal: a result read's 4xx is the request's failure only in fal's JSON", () => {
  it.each([
    ['native', true],
    ['html', false],
    ['empty', false],
  ] as const)('a %s 422 on the result: remote failure %s', async (body, failed) => {
    h = await falHarness();
    const { requestId } = await h.provider.submit(await hostedRequest());
    h.emulator.setScenario({ faults: [{ kind: 'http', on: 'result', status: 422, body }] });
    const e = await hostedRejection(h.provider.wait(requestId));
    if (failed) expect(e).toBeInstanceOf(RemoteFailedError);
    else {
      // Kept in the journal by the run (E_OUTCOME_UNKNOWN), not dropped as a failure.
      expect(e).not.toBeInstanceOf(RemoteFailedError);
      expect(e).toBeInstanceOf(InputRejectedError);
    }
  });
});
