/**
 * Emulator fault scenarios: the contract shared by the emulator, its CLI flags,
 * `POST /__emulator/scenario`, and the tests. A scenario replaces the previous one wholesale.
 */
import { z } from 'zod';

/** Which kind of call a fault applies to. */
export const FaultTarget = z
  .enum(['submit', 'status', 'result', 'cancel', 'model', 'download', 'any'])
  .describe('Which call the fault applies to');
export type FaultTarget = z.infer<typeof FaultTarget>;

const when = {
  on: FaultTarget,
  /** 1-based: the Nth matching call (counted per target since the scenario was set). Omitted: every call. */
  nth: z.number().int().min(1).optional().describe('Fire on the Nth matching call (1-based); omitted: every call'),
  /** How many consecutive calls from `nth` fire. Default 1 when `nth` is given, unlimited otherwise. */
  times: z.number().int().min(1).optional().describe('How many consecutive matching calls fire'),
};

/**
 * On a submit: the request is accepted first (a job made, and paid for), then this reply replaces
 * the real one: what a proxy or load balancer in front does when it fails after passing the
 * request on. Other calls ignore it (the fault replies instead of the call).
 */
const afterAccept = z
  .boolean()
  .optional()
  .describe('On a submit: accept the request (a job, paid) first, then send this fault instead of the reply');

export const Fault = z.discriminatedUnion('kind', [
  /**
   * An HTTP error reply: 401, 400 (+error_code 400004), 422, 429 (+Retry-After), 500/502/503, or 200 carrying
   * `error_code`.
   */
  z.object({
    kind: z.literal('http'),
    ...when,
    status: z.number().int().min(200).max(599),
    error_code: z.number().int().optional(),
    message: z.string().optional(),
    retry_after: z.number().min(0).optional().describe('Retry-After header, seconds'),
    /**
     * `native` (default): the protocol's own JSON error body; `html`: a proxy's or load
     * balancer's HTML page; `empty`: no body at all (neither says anything about the request).
     */
    body: z
      .enum(['native', 'html', 'empty'])
      .optional()
      .describe("native: the API's own JSON error; html: a proxy's HTML page; empty: no body"),
    after_accept: afterAccept,
  }),
  /** Destroy the socket without replying. */
  z.object({ kind: z.literal('reset'), ...when, after_accept: afterAccept }),
  /** Reply 200 with a body that is not JSON. */
  z.object({ kind: z.literal('malformed-json'), ...when }),
  /** Delay the reply. */
  z.object({ kind: z.literal('slow'), ...when, delay_ms: z.number().int().min(0) }),
  /** Requests submitted while set never leave the queue. */
  z.object({ kind: z.literal('stuck') }),
  /** The request ends `failed` with this error (e.g. moderation). `nth`: only the Nth submit. */
  z.object({
    kind: z.literal('remote-failed'),
    nth: z.number().int().min(1).optional(),
    error: z.unknown().optional(),
  }),
  /**
   * A finished request's result comes without its output URL (the request is done and paid for).
   * `nth`/`times` count the finished results served since the scenario was set.
   */
  z.object({
    kind: z.literal('missing-output'),
    nth: z.number().int().min(1).optional(),
    times: z.number().int().min(1).optional(),
  }),
  /** Cancel always answers `not_cancellable`. */
  z.object({ kind: z.literal('not-cancellable') }),
  /** Output download sends only part of the body (Content-Length is the full size), then closes. */
  z.object({
    kind: z.literal('truncated-download'),
    nth: z.number().int().min(1).optional(),
    times: z.number().int().min(1).optional(),
  }),
  /** Output download advertises a Content-Length larger than the client's cap allows. */
  z.object({ kind: z.literal('oversized-download'), content_length: z.number().int().min(1) }),
  /** Output download answers 200 `text/html`: an HTML page instead of the image (a portal, a CDN error page). */
  z.object({
    kind: z.literal('html-download'),
    nth: z.number().int().min(1).optional(),
    times: z.number().int().min(1).optional(),
  }),
  /** Output download sends the body gzip-compressed (`Content-Encoding: gzip`), though identity was asked for. */
  z.object({
    kind: z.literal('gzip-download'),
    nth: z.number().int().min(1).optional(),
    times: z.number().int().min(1).optional(),
  }),
  /** Output download sends the whole body but declares a Content-Length of only half of it. */
  z.object({
    kind: z.literal('overlong-download'),
    nth: z.number().int().min(1).optional(),
    times: z.number().int().min(1).optional(),
  }),
  /**
   * Output download sends its body `bytes` at a time every `interval_ms` (a drip feed that never times out).
   * `pad_to`: the body is instead a valid PNG of that many bytes (a 1×1 image padded with private chunks), so
   * a client streams a large output to disk.
   */
  z.object({
    kind: z.literal('drip-download'),
    nth: z.number().int().min(1).optional(),
    times: z.number().int().min(1).optional(),
    bytes: z.number().int().min(1).default(1),
    interval_ms: z.number().int().min(1).default(1000),
    pad_to: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .optional(),
  }),
  /** Output URLs point at a host outside the allow-list. */
  z.object({ kind: z.literal('untrusted-output-host'), host: z.string().default('evil.example.com') }),
]);
export type Fault = z.infer<typeof Fault>;

export const Scenario = z
  .object({
    faults: z.array(Fault).default([]),
    /**
     * Probability (0..1) that a call gets a random transient fault: 429/500/503/reset on API calls;
     * a submit only gets a refusal (429), which every client may safely retry.
     */
    fault_rate: z.number().min(0).max(1).default(0),
    /**
     * Which calls the random faults hit. Omitted: every API call (submit, status, result, cancel, model), not
     * downloads.
     */
    fault_targets: z
      .array(FaultTarget)
      .optional()
      .describe('Calls the random faults hit; omitted: every API call, not downloads'),
    /** Seed for the random fault dice, so soak tests are repeatable. */
    fault_seed: z.number().int().default(1),
    queue_ms: z.number().int().min(0).optional().describe('Time a request spends in the queue'),
    run_ms: z.number().int().min(0).optional().describe('Time a request spends running'),
  })
  .strict();
export type Scenario = z.infer<typeof Scenario>;
export type ScenarioInput = z.input<typeof Scenario>;
