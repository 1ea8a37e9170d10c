/**
 * Everything one running emulator owns. Each `startEmulator` call makes its own context:
 * no module-level state, so tests can run many emulators side by side.
 */
import type { IncomingMessage } from 'node:http';
import { FaultEngine } from './faults.js';
import { readInputImage } from './input-source.js';
import { DEFAULT_LIMITS, JobStore } from './jobs.js';
import type { RequestLogEntry } from './request-log.js';
import { parseScenario } from './errors.js';
import type { ScenarioInput } from './scenario.js';
import { createTimerSet, type TimerSet } from './timers.js';

export interface EmulatorSettings {
  readonly queueMs: number;
  readonly runMs: number;
  /** `null`: model info names no price. */
  readonly priceUsd: number | null;
  readonly now: () => number;
  /** Lifetime of an emulated BFL delivery URL, ms. */
  readonly deliveryTtlMs: number;
  /** Output bytes of ended requests kept (jobs.ts); its default when absent. */
  readonly keptOutputBytes?: number | undefined;
}

export interface EmulatorContext {
  readonly settings: EmulatorSettings;
  readonly timers: TimerSet;
  readonly jobs: JobStore;
  readonly log: RequestLogEntry[];
  faults: FaultEngine;
  /** `http://host:port` the server listens on (loopback when bound to every interface). */
  origin: string;
  /** The second listener's origin (BFL `polling_url`s point there). */
  pollOrigin: string;
  closed: boolean;
}

export function createContext(settings: EmulatorSettings, scenario: ScenarioInput | undefined): EmulatorContext {
  const timers = createTimerSet();
  const ctx: EmulatorContext = {
    settings,
    timers,
    jobs: new JobStore(
      timers,
      () => new Date(settings.now()).toISOString(),
      (url, signal) => readInputImage(ctx, url, signal),
      settings.keptOutputBytes === undefined ? undefined : { ...DEFAULT_LIMITS, keptBytes: settings.keptOutputBytes },
    ),
    log: [],
    faults: new FaultEngine(parseScenario(scenario ?? {})),
    origin: '',
    pollOrigin: '',
    closed: false,
  };
  return ctx;
}

/** Queue/run durations: the scenario's, else the emulator's options. */
export function durations(ctx: EmulatorContext): { queueMs: number; runMs: number } {
  const s = ctx.faults.scenario;
  return { queueMs: s.queue_ms ?? ctx.settings.queueMs, runMs: s.run_ms ?? ctx.settings.runMs };
}

/**
 * The origin a client used to reach us (its Host header), so reply URLs work whether it said
 * `127.0.0.1` or `localhost`.
 */
export function requestOrigin(ctx: EmulatorContext, req: IncomingMessage): string {
  const host = req.headers.host;
  return host && /^[\w.\-:[\]]+$/.test(host) ? `http://${host}` : ctx.origin;
}
