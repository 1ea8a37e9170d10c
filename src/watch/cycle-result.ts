/**
 * What a watch cycle (watch-session.ts's `WatchSession.cycle`) comes to, and the hooks its caller
 * (recipe-watcher.ts) gives it.
 */
import type { KontextError } from '../errors.js';
import type { RunSummary } from '../run/scheduler.js';

type Observed = { readonly listenerError?: KontextError };

/**
 * A cycle's outcome. The caller's listener only observes (run/event-listener.ts): an exception
 * it throws on any event of the cycle (the session's own: `watch-cycle`, `watch-error`, warnings,
 * notices; its run's) changes nothing, and is the cycle's `E_EVENT_LISTENER`: `listenerError`, or
 * for a started cycle its `done` rejecting with it once the run is over.
 */
export type CycleResult =
  /**
   * `invalid`: the recipe does not load (the last good plan stays); `stopped`: it does, stopped
   * before its run; `retryOn`: files whose change may clear the stop (the outputs a conflicted
   * lock's merge stop says to check out): the watcher starts a cycle when one changes.
   */
  | ({
      readonly kind: 'invalid' | 'stopped';
      readonly problems: readonly string[];
      readonly retryOn?: readonly string[];
      /** Each of `retryOn` as `fileStamp` saw it when the stop was decided. */
      readonly retryStamps?: ReadonlyMap<string, string>;
    } & Observed)
  /** Sources still being written (partial-sources.ts), a recipe cut mid-line (cut-recipe.ts): retried in `retryMs`. */
  | ({ readonly kind: 'waiting'; readonly paths: readonly string[]; readonly retryMs: number } & Observed)
  | {
      readonly kind: 'started';
      readonly toRun: number;
      readonly inFlight: number;
      readonly abandoned: number;
      readonly done: Promise<RunSummary>;
    };

export interface CycleHooks {
  /** Runs after planning, before the run starts (the watcher follows the new targets here). */
  readonly beforeStart?: () => Promise<void>;
  /** Whether a live watcher already reports changes to this file (not stamped for `seen` then). */
  readonly watched?: (file: string) => boolean;
}
