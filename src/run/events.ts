/**
 * Typed run events: the scheduler emits them, reporters (tty, plain, json) subscribe.
 * The scheduler never prints. The zod schema is the NDJSON wire format of `--json`.
 */
import { z } from 'zod';

/** Why a node will run (for `--explain`, `--dry-run` and the events). */
export const RunReason = z
  .enum([
    'new',
    'prompt-changed',
    'params-changed',
    'seed-changed',
    'model-changed',
    'provider-changed',
    'input-changed',
    'request-changed',
    'forced',
    'not-cached',
    'reattach',
  ])
  .describe('Why a node runs');
export type RunReason = z.infer<typeof RunReason>;

/**
 * With `reason: 'reattach'`: what the run does with the journal's entry of the node's key
 * (submit-claim.ts's claimVerdict): `attach` to its request id (paid already), `wait` for
 * another live run's result, stop the node as `uncertain` (a dead run's intent without a request
 * id: it may have been paid; exit 75), or `take-over` and submit again (`--resubmit-uncertain`).
 * Absent on a node joining a request this run has in flight.
 */
export const JournalClaim = z.enum(['attach', 'wait', 'uncertain', 'take-over']);
export type JournalClaim = z.infer<typeof JournalClaim>;
const claim = JournalClaim.optional();
/** With `claim: 'take-over'`: the entry is of a submit the API refused (its `refused_at`): nothing was paid. */
const submitRefused = z.literal(true).optional();

/** Remote progress of a running node. */
export const NodePhase = z.enum(['hosting', 'submitting', 'queued', 'running', 'downloading', 'reattaching']);
export type NodePhase = z.infer<typeof NodePhase>;

const base = { t: z.number().describe('ms since the run started') };
/** `warning` and `notice`: also said before the run starts, or outside any run (run/event-clock.ts). */
const said = {
  t: z
    .number()
    .describe(
      'ms since the run started (its run-start); 0 when said before it (loading, planning, the preflight) ' +
        'or outside a run',
    ),
};

/** Requests submitted and what they cost at list price (run/spend.ts). */
const spendTotals = {
  requests: z.number().int().describe('Requests the API accepted, plus submits of unknown outcome'),
  maybe_paid: z
    .number()
    .int()
    .describe('Of them, submits of unknown outcome (no reply, or one not proving nothing was taken: counted as paid)'),
  cancelled: z.number().int().describe('Requests cancelled while still queued, not billed: not in `requests`'),
  cancelled_unconfirmed: z
    .number()
    .int()
    .optional()
    .describe(
      'Of maybe_paid, requests cancelled while still queued at a provider that does not document such a ' +
        'cancel as unbilled (fal, Replicate); absent when none',
    ),
  unpriced: z.number().int().describe('Of them, requests at an unknown price'),
  known_usd: z.number().describe('The priced requests in USD: the cost, or a lower bound when unpriced > 0'),
};

export const RunEvent = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('run-start'),
    ...base,
    recipe: z.string(),
    nodes: z.number().int(),
    to_run: z.number().int(),
    cached: z.number().int(),
    stopped: z
      .number()
      .int()
      .optional()
      .describe('Nodes the run stops before they pay (an output changed by hand, and the nodes below it)'),
    jobs: z.number().int(),
    provider: z.string(),
  }),
  z.object({
    type: z.literal('node-start'),
    ...base,
    node: z.string(),
    reason: RunReason,
    claim,
    submit_refused: submitRefused,
  }),
  /** `--explain`: before the run, for each node that will run, why and how its input reaches the API. */
  z.object({
    type: z.literal('node-plan'),
    ...base,
    node: z.string(),
    reason: RunReason,
    claim,
    submit_refused: submitRefused,
    input: z.string(),
  }),
  z.object({
    type: z.literal('node-state'),
    ...base,
    node: z.string(),
    phase: NodePhase,
    position: z.number().int().optional(),
    bytes: z.number().optional(),
    total: z.number().optional(),
    request_id: z.string().optional(),
  }),
  z.object({
    type: z.literal('node-retry'),
    ...base,
    node: z.string(),
    call: z.string(),
    attempt: z.number().int(),
    delay_ms: z.number(),
    reason: z.string(),
  }),
  z.object({
    type: z.literal('node-done'),
    ...base,
    node: z.string(),
    output: z.string(),
    request_id: z.string(),
    seed: z.number().int(),
    ms: z.number(),
  }),
  z.object({ type: z.literal('node-cached'), ...base, node: z.string(), output: z.string(), restored: z.boolean() }),
  z.object({
    type: z.literal('node-failed'),
    ...base,
    node: z.string(),
    code: z.string(),
    exit_code: z.number().int(),
    message: z.string(),
    hint: z.string().optional(),
  }),
  z.object({
    type: z.literal('node-skipped'),
    ...base,
    node: z.string(),
    reason: z.enum(['upstream-failed', 'stopped', 'interrupted', 'remote-unusable']),
  }),
  z.object({
    type: z.literal('warning'),
    ...said,
    message: z.string(),
    node: z.string().optional(),
    /** A drift warning: the node changed more of the image than its pass's `max_change` allows. */
    drift: z
      .object({
        changed_pct: z.number().describe('% of pixels changed against the input'),
        chain_changed_pct: z.number().nullable().describe('% changed against the original source'),
        max_change: z.number().describe("The pass's max_change, %"),
      })
      .optional(),
  }),
  /** Information a person may want, not a problem (e.g. the remote cache's pending uploads). */
  z.object({ type: z.literal('notice'), ...said, message: z.string() }),
  /** Watch mode: a change was seen and the recipe re-planned. */
  z.object({
    type: z.literal('watch-cycle'),
    ...base,
    recipe: z.string(),
    changed: z.array(z.string()).describe('Paths whose change started this cycle (empty for the first)'),
    to_run: z
      .array(z.object({ node: z.string(), reason: RunReason, claim, submit_refused: submitRefused }))
      .describe('Nodes to submit, and why'),
    in_flight: z
      .number()
      .int()
      .describe('Wanted nodes whose request (from an earlier cycle) is still running: awaited, not resubmitted'),
    cached: z.number().int(),
    stopped: z.number().int().optional().describe('Nodes the cycle stops before they pay, as in run-start'),
    abandoned: z.number().int().describe('In-flight requests the new plan no longer wants'),
  }),
  /**
   * Watch mode: a cycle that starts no run. `invalid`: the edited recipe does not load, the last
   * good plan stays in force; `stopped`: the recipe is valid, but the cycle stopped before its
   * run (over `--max-cost`, a source hosting refuses, a folder it cannot write): nothing submitted.
   */
  z.object({
    type: z.literal('watch-error'),
    ...base,
    recipe: z.string(),
    kind: z.enum(['invalid', 'stopped']).describe('invalid: the recipe does not load; stopped: the cycle stopped'),
    problems: z.array(z.string()),
  }),
  /**
   * `kontext run --json` of one or more recipes: this recipe stopped with an error before its
   * `run-summary` (e.g. no token, `--max-cost`, recipe not found); the next recipe still runs.
   * Sent by the CLI, never by `runRecipe` (which throws the error).
   */
  z.object({
    type: z.literal('run-error'),
    ...base,
    recipe: z.string(),
    code: z.string().describe('The error code, e.g. E_MAX_COST'),
    exit_code: z.number().int(),
    problems: z.array(z.string()),
  }),
  z.object({
    type: z.literal('run-summary'),
    ...base,
    recipe: z.string(),
    done: z.number().int(),
    cached: z.number().int(),
    failed: z.number().int(),
    skipped: z.number().int(),
    submitted: z.number().int(),
    exit_code: z.number().int(),
    /** The run's time up to its summary: the wait for the uploads to the remote cache included. */
    ms: z.number(),
    out_dir: z.string(),
    /** Nodes that may have been paid for without a request id on record (see `--resubmit-uncertain`). */
    uncertain: z.array(z.string()).optional(),
    /**
     * Nodes whose request id is journaled (paid, or maybe) but whose outcome the run could not
     * settle (E_OUTCOME_UNKNOWN, or another failure while waiting on it, e.g. a token revoked
     * mid-run): the next run re-attaches; see `--resubmit-uncertain`.
     */
    outcome_unknown: z.array(z.string()).optional(),
    /** Nodes over their pass's `max_change` (drift warnings). */
    drift: z.array(z.string()).optional(),
    /** What this run's requests cost at list price; `null` when some request's price is unknown. */
    cost_usd: z.number().nullable(),
    spend: z.object({
      ...spendTotals,
      by_model: z.array(
        z.object({
          provider: z.string(),
          model: z.string(),
          requests: z.number().int(),
          price_usd: z.number().nullable().describe('One request; null: unknown'),
          cancelled_unconfirmed: z
            .number()
            .int()
            .optional()
            .describe('Of them, maybe paid: cancelled while queued, not documented as unbilled by the provider'),
        }),
      ),
    }),
    /** Watch mode: every cycle of the session so far, this one included (superseded cycles too). */
    session_spend: z.object({ cost_usd: z.number().nullable(), ...spendTotals }).optional(),
  }),
]);
export type RunEvent = z.infer<typeof RunEvent>;
export type RunEventOf<T extends RunEvent['type']> = Extract<RunEvent, { type: T }>;

/** An event before the scheduler stamps its time `t` (Omit distributed over the union). */
export type UntimedRunEvent = RunEvent extends infer E ? (E extends unknown ? Omit<E, 't'> : never) : never;

/** A reporter receives every event in order; `close` runs once after the summary. */
export interface Reporter {
  onEvent(event: RunEvent): void;
  close(): void;
}
