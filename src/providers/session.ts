/**
 * Opening a provider for a run, by name through one table of openers (OPENERS): `runcomfy`
 * (token and base URL from the environment, checked before any request) or `emulator` (the
 * built-in server started in-process on an ephemeral loopback port, spoken to by the very same
 * RunComfy client). Closing stops both. A provider with no client in this build fails to open
 * with a clear error (exit 69), before any request.
 */
import { ExitCode, KontextError, UsageError } from '../errors.js';
import type { HostingConfig, ProviderName } from '../recipe/types.js';
import type { Runtime } from '../runtime.js';
import type { Provider } from './types.js';
import type { RunComfyOptions } from './runcomfy/client.js';
import { EMULATOR_POLL_POLICY } from './runcomfy/poll.js';
import { testPollPolicy, testRetryPolicy } from './test-poll.js';

/** What a run needs to know about a provider before (or without) opening a session to it. */
export interface ProviderTraits {
  /** Hosting to use when neither the recipe nor the user config names one. */
  readonly defaultHosting: HostingConfig | null;
  /**
   * Whether an output URL it returned still works in a later run. The in-process emulator's
   * do not: it listens on a new port each run, so its old URLs point at nothing.
   */
  readonly outputUrlsOutliveRun: boolean;
  /**
   * Whether its requests end with the run (only the in-process emulator's): a dead run's intent
   * is then known unpaid and resubmitted; for every real API it stays "maybe paid".
   */
  readonly diesWithRun: boolean;
  /**
   * A cancel the API confirmed for a request never seen running is not billed: RunComfy documents
   * that only queued requests can be cancelled. fal documents that a queued request is removed from
   * the queue (a running one only signalled); Replicate documents a cancel (and, for its
   * `Cancel-After` deadline, `aborted` for a prediction that had not started). Neither says whether
   * such a request is billed: it stays maybe paid, and the summary says why (spend.ts
   * `cancelledUnconfirmed`).
   */
  readonly queuedCancelUnbilled: boolean;
}

const RUNCOMFY_TRAITS: ProviderTraits = {
  defaultHosting: null,
  outputUrlsOutliveRun: true,
  diesWithRun: false,
  queuedCancelUnbilled: true,
};
/** Replicate takes data URIs (up to the model table's cap) and deletes outputs after an hour. */
const REPLICATE_TRAITS: ProviderTraits = {
  defaultHosting: { mode: 'inline' },
  outputUrlsOutliveRun: false,
  diesWithRun: false,
  queuedCancelUnbilled: false,
};
const EMULATOR_TRAITS: ProviderTraits = {
  defaultHosting: { mode: 'inline' },
  outputUrlsOutliveRun: false,
  diesWithRun: true,
  queuedCancelUnbilled: true,
};

/**
 * BFL and fal.ai take an inline image (raw base64 / a data URI, up to the model table's cap). Their
 * output URLs outlive the run (BFL's only 10 minutes: the reuse window of src/hosting/freshness.ts
 * is no longer); a dead run's intent stays "maybe paid" (src/run/submit-claim.ts).
 */
const BFL_FAL_TRAITS: ProviderTraits = {
  defaultHosting: { mode: 'inline' },
  outputUrlsOutliveRun: true,
  diesWithRun: false,
  queuedCancelUnbilled: false,
};

/** The traits of a provider by name (any name but the emulator's speaks to a real RunComfy API). */
export function providerTraits(name: string): ProviderTraits {
  if (name === 'replicate') return REPLICATE_TRAITS;
  if (name === 'bfl' || name === 'fal') return BFL_FAL_TRAITS;
  return name === 'emulator' ? EMULATOR_TRAITS : RUNCOMFY_TRAITS;
}

export interface ProviderSession {
  readonly name: ProviderName;
  readonly provider: Provider;
  /** A one-line note for the user (e.g. a token file readable by others). */
  readonly warnings: readonly string[];
  close(): Promise<void>;
}

export type SessionOptions = Pick<RunComfyOptions, 'deadlineMs' | 'onRetry' | 'poll' | 'pollTimesDir' | 'retry'>;

/** Opens one provider's session: credentials from `rt`, the client loaded lazily (`import()`). */
type SessionOpener = (rt: Runtime, options: SessionOptions) => Promise<ProviderSession>;

/**
 * One opener per provider name (docs/architecture.md#adding-a-provider): a new client adds its
 * entry here, e.g. `bfl: (rt, o) => import('./bfl/session.js').then((m) => m.openBflSession(rt, o))`.
 * `null`: no client in this build yet.
 */
const OPENERS: Readonly<Record<ProviderName, SessionOpener | null>> = {
  runcomfy: (rt, options) => openRunComfySession(rt, options),

  emulator: (rt, options) => openEmulatorSession(rt, options),

  bfl: (rt, options) => import('./bfl/session.js').then((m) => m.openBflSession(rt, options)),

  fal: (rt, options) => import('./fal/session.js').then((m) => m.openFalSession(rt, options)),

  replicate: async (rt, options) => {
    const provider = (await import('./replicate/session.js')).openReplicate(rt, options);
    return { name: 'replicate', provider, warnings: [], close: () => provider.close() };
  },
};

/** Whether this build has a client for `name`. */
export function hasSessionOpener(name: ProviderName): boolean {
  return Object.hasOwn(OPENERS, name) && OPENERS[name] !== null;
}

export async function openProviderSession(
  name: ProviderName,
  rt: Runtime,
  options: SessionOptions = {},
): Promise<ProviderSession> {
  const open = Object.hasOwn(OPENERS, name) ? OPENERS[name] : null;
  if (!open)
    throw new KontextError('E_PROVIDER_UNAVAILABLE', `provider ${name} has no client in this build of kontext`, {
      exitCode: ExitCode.UNAVAILABLE,
      hint: 'run these passes on runcomfy or emulator (provider: / --provider); `kontext providers` lists them',
    });
  const poll = options.poll ?? testPollPolicy(name, rt);
  const retry = options.retry ?? testRetryPolicy(name, rt);
  // Only what is set: an opener's own defaults (the emulator's poll policy) stand otherwise.
  return open(rt, { ...options, ...(poll === undefined ? {} : { poll }), ...(retry === undefined ? {} : { retry }) });
}

async function openRunComfySession(rt: Runtime, options: SessionOptions): Promise<ProviderSession> {
  // Loaded on first use: a fully cached run never needs the HTTP client.
  const { allowedHosts, resolveBaseUrl, resolveToken } = await import('./runcomfy/auth.js');
  const { createRunComfyProvider } = await import('./runcomfy/client.js');
  const { token, warning } = await resolveToken(rt);
  const provider = createRunComfyProvider({
    ...options,
    baseUrl: resolveBaseUrl(rt),
    token,
    rt,
    allowHosts: allowedHosts(rt),
  });
  return {
    name: 'runcomfy',
    provider,
    warnings: warning ? [warning] : [],
    close: () => provider.close(),
  };
}

async function openEmulatorSession(rt: Runtime, options: SessionOptions): Promise<ProviderSession> {
  // Imported lazily: the emulator pulls in sharp, which `validate` and `plan` never need.
  const { startEmulator } = await import('../emulator/index.js');
  const { createRunComfyProvider } = await import('./runcomfy/client.js');
  const queueMs = delayFromEnv(rt, 'KONTEXT_EMULATOR_QUEUE_MS', '--queue-ms');
  const runMs = delayFromEnv(rt, 'KONTEXT_EMULATOR_RUN_MS', '--run-ms');
  const emulator = await startEmulator({
    ...(queueMs === undefined ? {} : { queueMs }),
    ...(runMs === undefined ? {} : { runMs }),
  });
  const token = 'emulator';
  const provider = createRunComfyProvider({
    poll: EMULATOR_POLL_POLICY,
    providerName: 'emulator',
    ...options,
    baseUrl: emulator.baseUrl,
    token,
    rt,
    // On this machine: a proxy the environment names for the real APIs is not asked to reach it.
    direct: true,
    allowHosts: [new URL(emulator.origin).hostname],
  });
  return {
    name: 'emulator',
    provider,
    warnings: [],
    close: async () => {
      await provider.close();
      await emulator.close();
    },
  };
}

/** The longest emulated queue or run time: a day (`kontext emulator --queue-ms`/`--run-ms` too). */
export const EMULATOR_MAX_DELAY_MS = 86_400_000;

/**
 * An emulator timing from the environment, in ms; unset or empty: the emulator's default. Anything
 * but a whole number up to a day is a usage error naming the variable (a larger one overflowed
 * Node's timer: a warning, and the job ran at once).
 */
function delayFromEnv(rt: Runtime, name: string, flag: string): number | undefined {
  const v = rt.env[name]?.trim();
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (/^\d+$/.test(v) && n <= EMULATOR_MAX_DELAY_MS) return n;
  throw new UsageError(`${name} must be a whole number of ms from 0 to ${EMULATOR_MAX_DELAY_MS} (a day), got "${v}"`, {
    hint: `the bound of kontext emulator ${flag}; unset ${name} for the default`,
  });
}
