/**
 * The fault engine: decides, call by call, which fault of the current scenario fires.
 * Counters are per target (and one for `any`) and restart whenever a scenario is set.
 */
import { seededRandom } from '../runtime.js';
import type { Fault, FaultTarget, Scenario } from './scenario.js';

/** A call the emulator can fault: every target but the `any` wildcard. */
export type CallTarget = Exclude<FaultTarget, 'any'>;
/** Faults that act on a single call's reply. */
export type CallFault = Extract<Fault, { kind: 'http' | 'reset' | 'malformed-json' }>;

/** What to do with one call: wait `delayMs`, then reply normally or with `fault`. */
export interface CallPlan {
  readonly delayMs: number;
  readonly fault: CallFault | undefined;
  /** A submit's fault with `after_accept`: the submit is served (a job made), then this replies instead. */
  readonly afterAccept?: CallFault | undefined;
  /** `scenario` for an explicit fault, `random` for the soak dice. */
  readonly source: 'scenario' | 'random' | undefined;
}

/** A fault of one output download (files.ts applies it). */
export type DownloadFault =
  | { readonly kind: 'truncated' }
  | { readonly kind: 'html' }
  | { readonly kind: 'gzip' }
  | { readonly kind: 'overlong' }
  | { readonly kind: 'oversized'; readonly length: number }
  | { readonly kind: 'drip'; readonly bytes: number; readonly intervalMs: number; readonly padTo?: number };

/** Random faults hit API calls by default; downloads only when a scenario opts in. */
const DEFAULT_RANDOM_TARGETS: readonly FaultTarget[] = ['submit', 'status', 'result', 'cancel', 'model'];

type Windowed = { readonly nth?: number | undefined; readonly times?: number | undefined };

/** Does a fault with this nth/times window fire on the `count`-th matching call? */
function inWindow(w: Windowed, count: number): boolean {
  if (w.nth === undefined) return w.times === undefined || count <= w.times;
  return count >= w.nth && count < w.nth + (w.times ?? 1);
}

export class FaultEngine {
  readonly scenario: Scenario;
  private readonly counts = new Map<FaultTarget, number>();
  private readonly dice: () => number;
  private accepted = 0;
  private finished = 0;

  constructor(scenario: Scenario) {
    this.scenario = scenario;
    this.dice = seededRandom(scenario.fault_seed);
  }

  private bump(target: FaultTarget): number {
    const n = (this.counts.get(target) ?? 0) + 1;
    this.counts.set(target, n);
    return n;
  }

  /** How many calls of `target` were seen since the scenario was set. */
  count(target: FaultTarget): number {
    return this.counts.get(target) ?? 0;
  }

  /** Count a call and plan its faults: every matching `slow` adds up, the first other match wins. */
  onCall(target: CallTarget): CallPlan {
    const own = this.bump(target);
    const any = this.bump('any');
    let delayMs = 0;
    let fault: CallFault | undefined;
    for (const f of this.scenario.faults) {
      if (f.kind !== 'http' && f.kind !== 'reset' && f.kind !== 'malformed-json' && f.kind !== 'slow') continue;
      if (f.on !== target && f.on !== 'any') continue;
      if (!inWindow(f, f.on === 'any' ? any : own)) continue;
      if (f.kind === 'slow') delayMs += f.delay_ms;
      else fault ??= f;
    }
    if (fault && fault.kind !== 'malformed-json' && fault.after_accept === true && target === 'submit') {
      return { delayMs, fault: undefined, afterAccept: fault, source: 'scenario' };
    }
    if (fault) return { delayMs, fault, source: 'scenario' };
    const random = this.rollDice(target);
    return { delayMs, fault: random, source: random ? 'random' : undefined };
  }

  /** Seeded transient faults for soak tests. A submit only gets a refusal (429), which every client may retry. */
  private rollDice(target: CallTarget): CallFault | undefined {
    const { fault_rate: rate } = this.scenario;
    const targets = this.scenario.fault_targets ?? DEFAULT_RANDOM_TARGETS;
    if (rate <= 0 || !(targets.includes(target) || targets.includes('any'))) return undefined;
    if (this.dice() >= rate) return undefined;
    const pick = this.dice();
    if (target === 'submit') return { kind: 'http', on: target, status: 429 };
    if (pick < 0.25) return { kind: 'reset', on: target };
    return { kind: 'http', on: target, status: transientStatus(pick) };
  }

  /** Called once per accepted submit: does the new request get stuck, or fail remotely? */
  onAccepted(): { stuck: boolean; failure: unknown } {
    this.accepted += 1;
    let stuck = false;
    let failure: unknown;
    for (const f of this.scenario.faults) {
      if (f.kind === 'stuck') stuck = true;
      if (f.kind === 'remote-failed' && failure === undefined && (f.nth === undefined || f.nth === this.accepted)) {
        failure = f.error ?? DEFAULT_REMOTE_ERROR;
      }
    }
    return { stuck, failure };
  }

  cancelRefused(): boolean {
    return this.scenario.faults.some((f) => f.kind === 'not-cancellable');
  }

  /** Fault for the current output download (call after `onCall('download')`). */
  downloadFault(): DownloadFault | undefined {
    const n = this.count('download');
    for (const f of this.scenario.faults) {
      if (f.kind === 'truncated-download' && inWindow(f, n)) return { kind: 'truncated' };
      if (f.kind === 'html-download' && inWindow(f, n)) return { kind: 'html' };
      if (f.kind === 'gzip-download' && inWindow(f, n)) return { kind: 'gzip' };
      if (f.kind === 'overlong-download' && inWindow(f, n)) return { kind: 'overlong' };
      if (f.kind === 'drip-download' && inWindow(f, n))
        return { kind: 'drip', bytes: f.bytes, intervalMs: f.interval_ms, ...(f.pad_to ? { padTo: f.pad_to } : {}) };
      if (f.kind === 'oversized-download') return { kind: 'oversized', length: f.content_length };
    }
    return undefined;
  }

  /** Called once per finished result about to be served: does it go without its output URL? */
  withholdOutput(): boolean {
    this.finished += 1;
    return this.scenario.faults.some((f) => f.kind === 'missing-output' && inWindow(f, this.finished));
  }

  /** The host output URLs should claim, when an untrusted-host fault is set. */
  outputHost(): string | undefined {
    for (const f of this.scenario.faults) if (f.kind === 'untrusted-output-host') return f.host;
    return undefined;
  }
}

/** A random transient HTTP failure for a non-submit call (`pick` ≥ 0.25): 429, 500 or 503 in equal measure. */
function transientStatus(pick: number): 429 | 500 | 503 {
  if (pick < 0.5) return 429;
  return pick < 0.75 ? 500 : 503;
}

/** What a moderated request reports when the scenario gives no error of its own. */
const DEFAULT_REMOTE_ERROR = {
  code: 'content_moderated',
  message: 'Request moderated: the input or output was flagged by the safety filter (emulated)',
};
